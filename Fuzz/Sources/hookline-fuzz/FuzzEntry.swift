import HooklineCore

#if canImport(Glibc)
import Glibc
#endif

// libFuzzer targets for the code that reads what senders, files and operators hand Hookline.
// One binary; HOOKLINE_FUZZ_TARGET picks the target (Fuzz/run.sh runs each in turn). Each target
// must never crash, hang or trip AddressSanitizer, and checks a property where one exists: a
// failed check is a crash, so libFuzzer keeps the input.

/// The targets by name.
let targets: [String: @Sendable (UnsafeRawBufferPointer) -> Void] = [
    "json": fuzzJSON,
    "standard": { fuzzDecoder(StandardMessageDecoder(), $0) },
    "buildr": { fuzzDecoder(BuildrMessageDecoder(), $0) },
    "plannr": { fuzzDecoder(PlannrMessageDecoder(), $0) },
    "signature-headers": fuzzSignatureHeaders,
    "encodings": fuzzEncodings,
    "audit-line": fuzzAuditLine,
    "config": fuzzConfiguration,
    "path-id": fuzzPathID,
]

/// Writes a line to standard error.
func say(_ text: String) {
    let bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

/// A property that does not hold: abort, so libFuzzer records the input.
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    guard condition else {
        say("hookline-fuzz: property failed: \(message())")
        abort()
    }
}

/// Parsing never crashes; what parses writes back to JSON that parses to the same value, also
/// in its terminal-safe form.
func fuzzJSON(_ bytes: UnsafeRawBufferPointer) {
    guard let value = try? JSONParser.parse(bytes) else { return }
    let written = JSONWriter.bytes(value)
    require((try? JSONParser.parse(written)) == value, "a parsed value does not survive writing and parsing again")
    require((try? JSONParser.parse(TerminalText.safeJSONLine(written))) == value, "the terminal-safe line means something else")
    // Reading fields off the tape finds what the tree holds, whatever the names' escapes.
    JSONTape.withParsed(bytes) { parsed in
        guard case .success(let root) = parsed else { return require(false, "the tape refused what the tree parser accepted") }
        agree(root)
    }
}

/// Every member found by name on the tape is the member the tree has under that name.
func agree(_ node: JSONNode) {
    for member in node.members {
        require(node.member(member.key)?.value == member.value.value, "a member looked up by name is not the one parsed")
        agree(member.value)
    }
    for element in node.elements { agree(element) }
}

/// A decoded message keeps its limits, and no target client ever plans a call whose path holds
/// a dot segment or a separator, whatever id the message carries.
func fuzzDecoder(_ decoder: some MessageDecoder, _ bytes: UnsafeRawBufferPointer) {
    guard case .contact(let message)? = try? decoder.decode(bytes: bytes, context: MessageContext(messageID: "msg_fuzz")) else { return }
    require(message.contactID.utf8.count <= MessageLimits.maximumLength, "a contact id over the limit was accepted")
    guard case .patch(let patch) = message.contact else { return }
    var ids = [message.contactID] + patch.externalReferences.values.map { $0 }
    for path in ["custom_fields.plannr_account_uuid", "external_references.buildr"] {
        if let id = patch.lookup(path: path) { ids.append(id) }
    }
    for id in ids {
        let change = TargetChange(kind: message.kind, patch: patch, contactID: id, sourceContactID: message.contactID, source: "fuzz")
        for client in clients {
            guard case .calls(let calls) = client.plan(change, references: NoReferences()) else { continue }
            for call in calls { requireSafePath(call.path) }
        }
        if case .success(let fetch) = clients[0].fetchCall(contactID: id) { requireSafePath(fetch.path) }
    }
}

let clients: [any ContactFetching & TargetClient] = [
    BuildrContactsClient(settings: TargetSettings(name: "buildr", kind: .buildr, baseURL: "https://b.example/api", options: [:]))
]
let otherClients: [any TargetClient] = [
    PlannrContactDetailsClient(settings: TargetSettings(name: "plannr", kind: .plannr, baseURL: "https://p.example/api", options: [:])),
    OmnichannelContactsClient(settings: TargetSettings(name: "omni", kind: .omnichannel, baseURL: "https://o.example/v1", options: [:])),
]

struct NoReferences: ReferenceLookup {
    func reference(target: String, key: String) -> String? { nil }
}

/// Every segment of a planned path, percent-decoded as often as a server might, is neither a
/// dot segment nor empty of meaning.
func requireSafePath(_ path: String) {
    for segment in path.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
        var bytes = Array(segment.utf8)
        for _ in 0..<4 {
            let text = String(decoding: bytes, as: UTF8.self)
            require(text != "." && text != "..", "a planned path has a dot segment: \(path)")
            require(!bytes.contains(UInt8(ascii: "/")) && !bytes.contains(UInt8(ascii: "\\")), "a planned segment decodes to a separator: \(path)")
            guard let decoded = percentDecoded(bytes) else { break }
            bytes = decoded
        }
    }
}

func percentDecoded(_ bytes: [UInt8]) -> [UInt8]? {
    guard bytes.contains(UInt8(ascii: "%")) else { return nil }
    var output: [UInt8] = []
    var index = 0
    while index < bytes.count {
        if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count, let byte = UInt8(String(decoding: bytes[index + 1...index + 2], as: UTF8.self), radix: 16) {
            output.append(byte)
            index += 3
        } else {
            output.append(bytes[index])
            index += 1
        }
    }
    return output
}

/// The signature headers of every scheme, read from the input's lines (id, timestamp, signature
/// header, then the body): verification never crashes, and a signature made with the secret for
/// the body and headers given is always accepted.
func fuzzSignatureHeaders(_ bytes: UnsafeRawBufferPointer) {
    let lines = Array(bytes).split(separator: UInt8(ascii: "\n"), maxSplits: 3, omittingEmptySubsequences: false)
    func line(_ index: Int) -> String { index < lines.count ? String(decoding: lines[index], as: UTF8.self) : "" }
    let body = lines.count > 3 ? Array(lines[3]) : []
    let now = UnixTime(seconds: 1_795_000_000)
    for verifier in verifiers {
        for name in ["webhook-signature", "svix-signature", "Stripe-Signature", "X-Hub-Signature-256", "X-Signature", "X-Custom"] {
            let headers = HeaderList([
                HeaderField(name: "webhook-id", value: line(0)), HeaderField(name: "webhook-timestamp", value: line(1)),
                HeaderField(name: "svix-id", value: line(0)), HeaderField(name: "svix-timestamp", value: line(1)),
                HeaderField(name: name, value: line(2)),
            ])
            _ = verifier.verify(body: body, headers: headers, receivedAt: now)
        }
        if let signed = try? verifier.signatureHeaders(for: body, messageID: line(0).isEmpty ? "msg" : line(0), timestamp: now.seconds) {
            let verdict = verifier.verify(body: body, headers: HeaderList(signed), receivedAt: now)
            if case .rejected(let rejection) = verdict {
                // Header values Hookline writes itself may not carry what the input put in the id.
                require(
                    rejection.reason == .malformedHeader || rejection.reason == .missingHeader,
                    "\(verifier.scheme.name) rejected its own signature: \(rejection.message)")
            }
        }
    }
}

let verifiers: [SignatureVerifier] = {
    var made: [SignatureVerifier] = []
    let options = [
        ("standard-webhooks", SignatureSchemeOptions(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        ("stripe", SignatureSchemeOptions(), "whsec_stripe_secret"),
        ("github", SignatureSchemeOptions(), "github-secret"),
        ("plannr", SignatureSchemeOptions(), String(repeating: "p", count: 60)),
        ("hmac", SignatureSchemeOptions(header: "X-Custom", prefix: "sha512="), "hmac-secret"),
    ]
    for (name, schemeOptions, secret) in options {
        var tuned = schemeOptions
        if name == "hmac" {
            tuned.algorithm = .sha512
            tuned.encoding = .base64
        }
        guard let scheme = try? SignatureSchemes.scheme(named: name, options: tuned),
            let verifier = try? SignatureVerifier(scheme: scheme, secrets: [secret], tolerance: .seconds(300))
        else {
            require(false, "the fuzz verifier for \(name) could not be made")
            continue
        }
        made.append(verifier)
    }
    return made
}()

/// Hex and base64 decode without crashing, and what they decode encodes back to the same bytes.
func fuzzEncodings(_ bytes: UnsafeRawBufferPointer) {
    let text = String(decoding: bytes, as: UTF8.self)
    if let decoded = Hex.decode(text) {
        require(Hex.decode(Hex.encode(decoded)) == decoded, "hex does not round-trip")
    }
    if let decoded = Base64.decode(text) {
        require(Base64.decode(Base64.encode(decoded)) == decoded, "base64 does not round-trip")
    }
    require(Base64.decode(Base64.encode(Array(bytes))) == Array(bytes), "base64 of the raw input does not round-trip")
}

/// The fast scanner recovery uses agrees with the full parser on every line both can read.
func fuzzAuditLine(_ bytes: UnsafeRawBufferPointer) {
    let summary = AuditLineScanner.scan(bytes)
    guard let record = try? AuditRecord(jsonLine: Array(bytes)) else { return }
    guard let summary else { return }
    require(summary.ts == record.ts && summary.outcome == record.outcome, "scanner and parser disagree on ts or outcome")
    require(summary.event == record.event && summary.source == record.source && summary.target == record.target, "scanner and parser disagree on ids")
    require(summary.attempt == record.attempt, "scanner and parser disagree on attempt")
    // A record written back reads the same.
    require((try? AuditRecord(jsonLine: record.jsonLine)) == record, "an audit record does not survive writing and reading again")
}

/// The configuration loader answers any text with a configuration or a ConfigurationError.
func fuzzConfiguration(_ bytes: UnsafeRawBufferPointer) {
    let text = String(decoding: bytes, as: UTF8.self)
    do {
        _ = try ConfigurationLoader.load(yaml: text, file: "fuzz.yaml", environment: ["SECRET": "s3cret", "PORT": "8080"])
    } catch {
        require(!error.description.isEmpty, "an empty configuration error")
    }
}

/// An id PathID accepts as opaque is safe in a path once encoded.
func fuzzPathID(_ bytes: UnsafeRawBufferPointer) {
    let id = String(decoding: bytes, as: UTF8.self)
    let change = TargetChange(kind: .updated, patch: ContactPatch(firstName: .set("F"), email: .set("e@example.com")), contactID: id, sourceContactID: id, source: "fuzz")
    for client in otherClients + clients.map({ $0 as any TargetClient }) {
        if case .calls(let calls) = client.plan(change, references: NoReferences()) {
            for call in calls { requireSafePath(call.path) }
        }
    }
}

let selected: @Sendable (UnsafeRawBufferPointer) -> Void = {
    let name = getenv("HOOKLINE_FUZZ_TARGET").map { String(cString: $0) } ?? "json"
    guard let target = targets[name] else {
        say("hookline-fuzz: unknown HOOKLINE_FUZZ_TARGET '\(name)'; one of: \(targets.keys.sorted().joined(separator: ", "))")
        exit(2)
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    selected(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// SwiftPM links an executable with `main` defined as this; libFuzzer takes over from here.
@_cdecl("hookline_fuzz_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzOne)
}
