import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTestSupport
import HooklineTools
import Testing

@Suite("hookline demo's code path", .timeLimit(.minutes(2)))
struct DemoTests {
    @Test("every fixture reaches the outcome the manifest expects, and the log keeps its promise")
    func demoRuns() async throws {
        let directory = try TemporaryDirectory()
        let (checked, fixtures) = try await DemoRunner.withRunning(fixtures: RepositoryFixtures.root, auditPath: directory.file("audit.jsonl")) { demo in
            (try await demo.replay(timeout: .seconds(60)), demo.catalog.fixtures.count)
        }

        #expect(checked.count == fixtures)
        for item in checked {
            #expect(item.differences.isEmpty, "\(item.fixture.path): \(item.differences.joined(separator: "; "))")
        }
        let records = try AuditLogReading.records(directory.file("audit.jsonl"))
        #expect(AuditInvariant.unfinished(records).isEmpty)
        #expect(AuditInvariant.violations(records).isEmpty)
        let rendered = FixtureOutcome.table(checked.map(\.outcome)).render(colour: false)
        #expect(rendered.hasPrefix("FIXTURE"))
        #expect(rendered.contains("standard/contact-created.json"))
    }

    @Test("dry-run planning shows the exact calls a Buildr full message makes at each target")
    func dryRun() throws {
        let configuration = try DemoConfiguration.load(auditPath: "/dev/null", sandboxURL: "http://sandbox.test")
        let planner = DryRunPlanner(configuration: configuration, references: try DryRunPlanner.learnedReferences(in: "/nonexistent/audit.jsonl"))
        let lines = try planner.describe(RepositoryFixtures.body("buildr/contact-update-full.json"), source: "buildr").get()
        #expect(
            lines == [
                "contact.update for buildr contact 144",
                "  → plannr: POST http://sandbox.test/plannr/api/v2/contact-details",
                #"      {"type":"email","name":"Email","value":"austin.reaves@example.com","is_primary":true,"account_uuids":["73b5cb71-6779-40a9-9ddc-33b16ada4da6"],"primary_account_uuids":["73b5cb71-6779-40a9-9ddc-33b16ada4da6"]}"#,
                "  → plannr: POST http://sandbox.test/plannr/api/v2/contact-details",
                #"      {"type":"phone_number","name":"Mobile","value":"555-555-5555","is_primary":true,"account_uuids":["73b5cb71-6779-40a9-9ddc-33b16ada4da6"],"primary_account_uuids":["73b5cb71-6779-40a9-9ddc-33b16ada4da6"]}"#,
                "  → plannr: POST http://sandbox.test/plannr/api/v2/contact-details",
                #"      {"type":"phone_number","name":"Work phone number","value":"555-555-5555 x301","is_primary":false,"account_uuids":["73b5cb71-6779-40a9-9ddc-33b16ada4da6"]}"#,
                "  → omnichannel: PUT http://sandbox.test/omnichannel/contacts/144",
                #"      {"first_name":"Austin","last_name":"Reaves","email":"austin.reaves@example.com","phone":"555-555-5555","company_name":"Lakeshow Construction"}"#,
            ])
    }

    @Test("dry-run planning PUTs a detail already learned, and names what it cannot decode")
    func dryRunKnownAndBroken() throws {
        let configuration = try DemoConfiguration.load(auditPath: "/dev/null", sandboxURL: "http://sandbox.test")
        let references = KnownReferences([("plannr", "\(SandboxSeed.garethAccount)/email", "dba3e759-bab7-4ce4-8370-d661a492992b")])
        let planner = DryRunPlanner(configuration: configuration, references: references)
        let lines = try planner.describe(RepositoryFixtures.body("buildr/contact-update-full.json"), source: "buildr").get()
        #expect(lines[1] == "  → plannr: PUT http://sandbox.test/plannr/api/v2/contact-details/dba3e759-bab7-4ce4-8370-d661a492992b")
        guard case .failure(let error) = planner.describe(try RepositoryFixtures.body("invalid/truncated.json"), source: "standard") else {
            Issue.record("a truncated body was planned")
            return
        }
        #expect(error.description == "malformed JSON at byte 93: unterminated string")
    }

    @Test("tables escape what their cells quote; only the table's own colour codes reach the terminal")
    func tableEscapes() {
        var table = TextTable(headers: ["FIXTURE", "DETAIL"])
        table.add([TextTable.Cell("standard/x\u{1B}[2J.json"), TextTable.Cell("id\r\nfake\u{9B}31m", colour: .red)])
        let text = table.render(colour: true)
        #expect(text.contains(#"standard/x\e[2J.json"#))
        #expect(text.contains(#"id\r\nfake\u{9b}31m"#))
        let escapes = text.components(separatedBy: "\u{1B}[").count - 1
        #expect(escapes == 6, "colour on and off for the two headers and the red cell, nothing else")
        #expect(!text.unicodeScalars.contains("\u{9B}") && !text.unicodeScalars.contains("\r"))
    }
}
