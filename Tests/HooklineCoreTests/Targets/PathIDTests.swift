import HooklineCore
import Testing

@Suite("ids placed in target URL paths cannot move the path")
struct PathIDTests {
    /// Every spelling of a dot segment tried: plain, percent-encoded once and twice, mixed case,
    /// overlong UTF-8, Unicode look-alikes, with a `;` parameter, with trailing dots and spaces.
    static let dotSegments = [
        ".", "..", "%2e", "%2E", "%2e%2e", "%2E%2E", ".%2E", "%2e.", "..%2f", "%252e", "%252e%252e", "%25252e%25252e",
        "%c0%ae", "%c0%ae%c0%ae", "%e0%80%ae", "．", "．．", "。", "..;", "..;jsessionid=1", ".%3b", "...", ". ", ".. ", "%2e%20",
        "%2e%00", ".\u{00}",
    ]
    /// Ids that would add a path segment on a server that decodes `%2F`.
    static let separators = ["a/b", "../x", "a\\b", "a%2fb", "a%2Fb", "a%252fb", "%5c", "..%5c"]

    static let buildr = BuildrContactsClient(
        settings: TargetSettings(name: "buildr", kind: .buildr, baseURL: "https://api.buildr.com/api/2023-01", options: [:]))
    static let plannr = PlannrContactDetailsClient(
        settings: TargetSettings(name: "plannr", kind: .plannr, baseURL: "https://api.plannrcrm.com/api/v2", options: ["token": "t", "account_uuid": "a"]))
    static let omnichannel = OmnichannelContactsClient(
        settings: TargetSettings(name: "omni", kind: .omnichannel, baseURL: "https://omni.example/v1", options: ["api_key": "k"]))

    struct NoReferences: ReferenceLookup {
        var known: [String: String] = [:]
        func reference(target: String, key: String) -> String? { known[key] }
    }

    static func change(_ id: String) -> TargetChange {
        TargetChange(
            kind: .updated, patch: ContactPatch(firstName: .set("Ann"), email: .set("ann@example.com")), contactID: id, sourceContactID: id,
            source: "standard")
    }

    @Test("every dot-segment spelling is refused for an opaque id", arguments: dotSegments)
    func dotSegmentRefused(id: String) {
        #expect(PathID.refusal(of: id, shape: .opaque, what: "contact id") != nil)
    }

    @Test("a path separator in any encoding is refused", arguments: separators)
    func separatorRefused(id: String) {
        #expect(PathID.refusal(of: id, shape: .opaque, what: "contact id") != nil)
    }

    @Test("ordinary ids pass, dots inside them included", arguments: ["c_7f3a21", "144", "a.b", "..a", "a..", "ann@example.com", "x y?z#w", "Ünïcødé", "a%zz", "50%"])
    func ordinaryIDs(id: String) {
        #expect(PathID.refusal(of: id, shape: .opaque, what: "contact id") == nil)
    }

    @Test("empty, over-long and control-character ids are refused with a reason")
    func limits() {
        #expect(PathID.refusal(of: "", shape: .opaque, what: "contact id") == "the contact id is empty; it cannot be put in a URL")
        #expect(
            PathID.refusal(of: String(repeating: "a", count: 257), shape: .opaque, what: "contact id")
                == "the contact id is 257 bytes long; ids in URLs are limited to 256 bytes")
        #expect(PathID.refusal(of: String(repeating: "a", count: 256), shape: .opaque, what: "contact id") == nil)
        #expect(
            PathID.refusal(of: "a\u{1B}[2Jb", shape: .opaque, what: "contact id")
                == "the contact id 'a\\e[2Jb' holds control characters; it was not sent")
    }

    @Test("Buildr ids are numeric and Plannr's are uuids")
    func shapes() {
        #expect(PathID.refusal(of: "2279", shape: .numeric, what: "Buildr contact id") == nil)
        #expect(PathID.refusal(of: "22a9", shape: .numeric, what: "Buildr contact id") != nil)
        #expect(PathID.refusal(of: "-1", shape: .numeric, what: "Buildr contact id") != nil)
        #expect(PathID.refusal(of: String(repeating: "9", count: 20), shape: .numeric, what: "Buildr contact id") != nil)
        #expect(PathID.refusal(of: "73b5cb71-6779-40a9-9ddc-33b16ada4da6", shape: .uuid, what: "uuid") == nil)
        #expect(PathID.refusal(of: "73B5CB71-6779-40A9-9DDC-33B16ADA4DA6", shape: .uuid, what: "uuid") == nil)
        #expect(PathID.refusal(of: "73b5cb71-6779-40a9-9ddc-33b16ada4da", shape: .uuid, what: "uuid") != nil)
        #expect(PathID.refusal(of: "73b5cb71x6779-40a9-9ddc-33b16ada4da6", shape: .uuid, what: "uuid") != nil)
        #expect(PathID.refusal(of: "../../../../../../../../../../..", shape: .uuid, what: "uuid") != nil)
    }

    @Test("each client plans nothing for a refused id: the job ends skipped and no call is built", arguments: dotSegments + separators)
    func clientsRefuse(id: String) {
        for plan in [
            Self.buildr.plan(Self.change(id), references: NoReferences()),
            Self.plannr.plan(Self.change(id), references: NoReferences()),
            Self.omnichannel.plan(Self.change(id), references: NoReferences()),
        ] {
            guard case .nothing(let reason) = plan else {
                Issue.record("\(id) planned \(plan)")
                continue
            }
            #expect(reason.contains("not sent") || reason.contains("not a"), "\(reason)")
        }
        guard case .failure = Self.buildr.fetchCall(contactID: id) else {
            Issue.record("a thin delivery with contact id \(id) would be fetched")
            return
        }
    }

    @Test("a learned Plannr uuid that is not a uuid is never put in a path")
    func learnedUUID() {
        let account = "73b5cb71-6779-40a9-9ddc-33b16ada4da6"
        let poisoned = NoReferences(known: ["\(account)/email": ".."])
        guard case .nothing(let reason) = Self.plannr.plan(Self.change(account), references: poisoned) else {
            Issue.record("a PUT was planned to a learned id '..'")
            return
        }
        #expect(reason == "the Plannr contact detail uuid '..' is not a uuid (expected 8-4-4-4-12 hex digits); it was not sent")
        let created = TargetResponse(status: 201, body: Array(#"{"uuid":".."}"#.utf8))
        guard case .permanent = Self.plannr.classify(created, to: TargetCall(method: "POST", path: "/contact-details", learns: "\(account)/email")) else {
            Issue.record("a uuid '..' in Plannr's answer was learned")
            return
        }
    }

    @Test("safe ids are still percent-encoded into one segment")
    func encoding() throws {
        guard case .calls(let calls) = Self.omnichannel.plan(Self.change("x y?z#w"), references: NoReferences()) else {
            Issue.record("refused a safe id")
            return
        }
        #expect(calls.first?.path == "/contacts/x%20y%3Fz%23w")
    }
}
