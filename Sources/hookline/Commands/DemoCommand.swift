import ArgumentParser
import HooklineConsole
import Foundation
import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTools
import Logging
import ServiceLifecycle

/// `hookline demo`: sandbox CRMs and a receiver on loopback, every fixture replayed as a signed
/// webhook, and a table of what became of each.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run Hookline against built-in sandbox CRMs and replay every fixture through it.",
        discussion: "Exits 0 when every fixture reached the outcome Fixtures/manifest.json expects, 1 otherwise."
    )

    @Option(help: "The fixtures folder (default: ./Fixtures, else the one in the source tree).")
    var fixtures: String?

    @Option(help: "Where to write the audit log (default: a new file under the temporary directory).")
    var audit: String?

    @Option(help: "Port for the receiver (default: any free port).")
    var port: Int = 0

    @Flag(help: "Keep serving after the replay, with the web console on, and print a ready-to-paste curl command and the console's address and token.")
    var keepRunning = false

    func run() async throws {
        guard let fixtures = fixtures ?? FixtureCatalog.locateDefault() else {
            throw CommandFailure.usage("no Fixtures/ folder here or in the source tree; pass --fixtures DIR")
        }
        let auditPath = try audit ?? Self.temporaryAuditPath()
        Console.show("Starting the sandbox CRMs (Buildr, Plannr, the X-Api-Key API) and Hookline on loopback…")
        let failures: Int
        do {
            failures = try await DemoRunner.withRunning(fixtures: fixtures, auditPath: auditPath, port: port) { demo in
                try await show(demo, fixtures: fixtures, auditPath: auditPath)
            }
        } catch let failure as CommandFailure {
            throw failure
        } catch let error as ConfigurationError {
            throw CommandFailure.usage(error.description)
        } catch {
            throw CommandFailure.runtime("the demo failed: \(error)")
        }
        if failures > 0 {
            throw CommandFailure.runtime("\(failures) fixture\(failures == 1 ? "" : "s") did not reach the expected outcome")
        }
    }

    /// Replays the fixtures, prints the table, and keeps serving if asked: the fixtures not as expected.
    private func show(_ demo: DemoRunner, fixtures: String, auditPath: String) async throws -> Int {
        Console.show("Replaying \(demo.catalog.fixtures.count) fixtures from \(fixtures) to \(demo.baseURL) as signed webhooks…\n")
        let checked = try await demo.replay()
        print(FixtureOutcome.table(checked.map(\.outcome)).render(colour: TextTable.standardOutputIsTerminal))  // its cells are escaped
        let failures = checked.filter { !$0.differences.isEmpty }
        Console.show(Self.summary(checked))
        for failure in failures {
            Console.show("  ✗ \(failure.fixture.path): \(failure.differences.joined(separator: "; "))")
        }
        Console.show("\nAudit log: \(auditPath)\n  hookline tail \(ShellQuote.quote(auditPath))")
        if keepRunning {
            Console.show(try keepRunningHint(demo: demo, fixtures: fixtures))
            // The console, with a token made for this run (an operator: the demo is yours).
            var generator = SystemRandomNumberGenerator()
            let token = "hlc_" + Hex.encode((0..<24).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
            let settings = ConsoleSettings(
                host: "127.0.0.1", port: 0, tokens: [.init(name: "demo", role: .operator, sha256: SHA256Digest.hash(Array(token.utf8)))])
            let console = try await ConsoleService.start(running: demo.running, settings: settings, logger: Logger(label: "hookline.demo"))
            let serving = Task { await console.run() }
            Console.show(
                """

                The console: http://127.0.0.1:\(console.port)/login — sign in with this token (an operator's, for this run only):
                  \(token)
                """)
            // Whoever reads this through a pipe (a script, a test) gets it now.
            fflush(nil)
            try await Self.waitForSignal()
            serving.cancel()
        }
        return failures.count
    }

    static func summary(_ checked: [DemoRunner.Checked]) -> String {
        var counts: [String: Int] = [:]
        for item in checked {
            if item.outcome.targets.isEmpty {
                counts[item.outcome.answer >= 400 ? "rejected" : item.outcome.answerText, default: 0] += 1
            }
            for target in item.outcome.targets { counts[target.outcome, default: 0] += 1 }
        }
        let order = ["applied", "skipped", "ignored", "duplicate", "coalesced", "rejected", "failed", "dead", "pending"]
        let parts = order.compactMap { key in counts[key].map { "\(key) \($0)" } }
        let failures = checked.filter { !$0.differences.isEmpty }.count
        let verdict = failures == 0 ? "all as expected" : "\(failures) not as expected"
        return "\(checked.count) fixtures: \(verdict) (\(parts.joined(separator: ", ")))."
    }

    private func keepRunningHint(demo: DemoRunner, fixtures: String) throws -> String {
        let file = "\(fixtures)/standard/contact-updated.json"
        let body = try FileBytes.read(file)
        guard let source = demo.running.configuration.sources.first(where: { $0.kind == .standard }) else { return "" }
        let headers = try source.verifier.signatureHeaders(for: body, messageID: MessageIDGenerator.random(), timestamp: UnixTime.now().seconds)
        let url = "\(demo.baseURL)/webhooks/\(source.name)"
        return """

            Hookline keeps serving at \(demo.baseURL) (Ctrl-C to stop). Send it a signed webhook:

            \(CurlCommand.render(url: url, headers: headers, file: file))
            The signature is good for 5 minutes; sign a fresh request with:
              hookline sign --scheme standard-webhooks --secret \(DemoConfiguration.environment["DEMO_STANDARD_SECRET"] ?? "") --curl \(url) \(file)
            """
    }

    static func temporaryAuditPath() throws -> String {
        let directory = NSTemporaryDirectory() + "hookline-demo-\(UnixTime.now().milliseconds)"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw CommandFailure.runtime("cannot create \(directory): \(error.localizedDescription)")
        }
        return directory + "/audit.jsonl"
    }

    /// Returns on SIGINT or SIGTERM.
    static func waitForSignal() async throws {
        let waiter = ClosureService { try? await gracefulShutdown() }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: waiter)], gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "hookline.demo")))
        try await group.run()
    }
}
