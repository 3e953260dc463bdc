import Foundation
import HooklineCore
import HooklineServer
import HooklineTestSupport
import HooklineTools
import Synchronization
import Testing

/// Runs the built `hookline` binary as a user would.
@Suite("hookline serve and check-config, as a process", .timeLimit(.minutes(1)))
struct ServeProcessTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let example = repository.appendingPathComponent("deploy/hookline.example.yaml").path

    /// The `hookline` executable built beside this test bundle.
    static func binary() throws -> String {
        let testBinary = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        let candidate = testBinary.deletingLastPathComponent().appendingPathComponent("hookline").path
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw ProcessTestError("no hookline executable at \(candidate): run `swift build` before `swift test`")
        }
        return candidate
    }

    /// A port nothing listens on, for a `hookline serve` to bind: taken in turn from 20000–31999,
    /// below Linux's ephemeral range (32768–60999). A port the kernel picked (bind to port 0) is
    /// one it may also give the next outgoing connection — a test's client, the sandbox's — and
    /// the serve then fails with "address already in use"; these are only ever handed out here.
    static func freePort() throws -> Int {
        for _ in 0..<12_000 {
            let candidate = 20_000 + nextPort.add(1, ordering: .relaxed).newValue % 12_000
            if canBind(candidate) { return candidate }
        }
        throw ProcessTestError("could not find a free port")
    }

    /// Where `freePort` goes on: a start that differs between test processes run together.
    private static let nextPort = Atomic<Int>(Int(getpid()) * 97 % 12_000)

    private static func canBind(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    static let secrets = [
        "BUILDR_WEBHOOK_SECRET": "buildr-secret", "PLANNR_SIGNING_SECRET": String(repeating: "p", count: 60),
        "STANDARD_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "BUILDR_CLIENT_ID": "id",
        "BUILDR_CLIENT_SECRET": "client-secret", "PLANNR_TOKEN": "token", "PLANNR_ACCOUNT_UUID": "uuid",
        "OMNICHANNEL_API_KEY": "key",
    ]

    struct Finished {
        var status: Int32
        var output: String
        var error: String
    }

    static func run(_ arguments: [String], environment: [String: String]) async throws -> Finished {
        try await run(executable: try binary(), arguments, environment: environment)
    }

    /// Runs `executable` to its end: its exit status and everything it wrote.
    static func run(executable: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> Finished {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Read and waited for off the cooperative pool (two threads here): a test blocking it
        // while the child talks to a Hookline in this process (its control socket) would starve
        // that Hookline, and the child would never get its answer. Both pipes are read to their
        // end before the wait, so a child with much to say never blocks on a full pipe.
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let errors = Mutex(Data())
                let readingErrors = DispatchGroup()
                readingErrors.enter()
                DispatchQueue.global().async {
                    let data = error.fileHandleForReading.readDataToEndOfFile()
                    errors.withLock { $0 = data }
                    readingErrors.leave()
                }
                let out = output.fileHandleForReading.readDataToEndOfFile()
                readingErrors.wait()
                process.waitUntilExit()
                continuation.resume(
                    returning: Finished(
                        status: process.terminationStatus, output: String(decoding: out, as: UTF8.self),
                        error: String(decoding: errors.withLock { $0 }, as: UTF8.self)))
            }
        }
    }

    @Test("serve runs the documented example; a request signed by hookline sign gets 202; SIGTERM stops it with exit 0")
    func serveExample() async throws {
        let directory = NSTemporaryDirectory() + "hookline-serve-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = try Self.freePort()
        var environment = Self.secrets
        environment["HOOKLINE_PORT"] = String(port)
        environment["HOOKLINE_AUDIT_LOG"] = "\(directory)/audit.jsonl"

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.binary())
        process.arguments = ["serve", "--config", Self.example]
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let base = "http://127.0.0.1:\(port)"
        try await eventuallyTrue { (try? await WebhookDeliverer().post([], to: "\(base)/webhooks/none", headers: []))?.status == 404 }

        let bodyPath = Self.repository.appendingPathComponent("Fixtures/standard/contact-created.json").path
        let signed = try await Self.run(
            ["sign", "--scheme", "standard-webhooks", "--secret-env", "STANDARD_WEBHOOK_SECRET", bodyPath], environment: environment)
        #expect(signed.status == 0)
        let headers = signed.output.split(separator: "\n").map { line in
            let parts = line.split(separator: ":", maxSplits: 1)
            return HeaderField(name: String(parts[0]), value: String(parts[1].dropFirst()))
        }
        let answer = try await WebhookDeliverer().post(try FileBytes.read(bodyPath), to: "\(base)/webhooks/standard", headers: headers)
        #expect(answer.status == 202)
        #expect(answer.outcome == "accepted")

        let status = await process.terminated()  // SIGTERM
        #expect(process.terminationReason == .exit)
        #expect(status == 0)
        let log = String(decoding: try FileBytes.read("\(directory)/audit.jsonl"), as: UTF8.self)
        #expect(log.contains(#""outcome":"received""#))
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(stderr.contains("listening"))
        #expect(!stderr.contains("client-secret") && !stderr.contains("whsec_"), "no secret is logged")
    }

    @Test("a typo'd key makes check-config and serve exit 2 with a sentence naming it")
    func typo() async throws {
        let directory = NSTemporaryDirectory() + "hookline-typo-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let text = try String(contentsOfFile: Self.example, encoding: .utf8).replacingOccurrences(of: "  max_body_bytes:", with: "  max_body_byte:")
        let path = "\(directory)/typo.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let line = try #require(text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix("  max_body_byte:") }) + 1

        for arguments in [["check-config", path], ["serve", "--config", path]] {
            let finished = try await Self.run(arguments, environment: Self.secrets)
            #expect(finished.status == 2, "\(arguments[0])")
            #expect(
                finished.error.hasPrefix("hookline: \(path):\(line): server.max_body_byte: unknown key 'max_body_byte' (did you mean 'max_body_bytes'?)"),
                "\(finished.error)")
        }
    }

    @Test("check-config names an unset variable and exits 2; a good file exits 0 with a summary")
    func checkConfig() async throws {
        var environment = Self.secrets
        environment["PLANNR_TOKEN"] = nil
        let missing = try await Self.run(["check-config", Self.example], environment: environment)
        #expect(missing.status == 2)
        #expect(missing.error.contains("targets[1].token: environment variable PLANNR_TOKEN is not set"))

        let good = try await Self.run(["check-config", Self.example], environment: Self.secrets)
        #expect(good.status == 0)
        #expect(good.output.hasPrefix("\(Self.example): OK"))
        #expect(good.output.contains("limits     1024 connections, bodies 1048576 bytes, headers 16384 bytes, rejected lines 20 per source and reason and 120 in all per 1m"))
        #expect(good.output.contains("store      file ("), "the example keeps the embedded journal: \(good.output)")
        #expect(good.output.contains("route      standard → buildr [created,updated,deleted] contact id: field:external_references.buildr"))
        #expect(!good.output.contains("client-secret"))
    }
}

extension ServeProcessTests {
    @Test("check-config and its errors show control characters from the file or environment escaped")
    func checkConfigEscapes() async throws {
        var environment = Self.secrets
        environment["OMNICHANNEL_BASE_URL"] = "https://x.example/\u{1B}]0;owned\u{07}\u{1B}[2J"
        let good = try await Self.run(["check-config", Self.example], environment: environment)
        #expect(good.status == 0, "\(good.error)")
        #expect(!good.output.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(good.output.debugDescription)")
        #expect(good.output.contains(#"https://x.example/\e]0;owned\x07\e[2J"#))

        environment["PLANNR_TOKEN"] = nil
        environment["HOOKLINE_HOST"] = "\u{1B}[31mred"
        let bad = try await Self.run(["check-config", Self.example], environment: environment)
        #expect(bad.status == 2)
        #expect(!bad.error.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(bad.error.debugDescription)")
    }
}

struct ProcessTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Waits until `condition` holds, failing after `timeout`.
func eventuallyTrue(timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw ProcessTestError("timed out after \(timeout)")
}
