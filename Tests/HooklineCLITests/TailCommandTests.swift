import Foundation
import HooklineCore
import Synchronization
import HooklineTestSupport
import HooklineServer
import HooklineTools
import Testing

@testable import hookline

@Suite("hookline tail", .timeLimit(.minutes(1)))
struct TailCommandTests {
    static let t0 = UnixTime(seconds: 1_795_330_000)

    static func line(_ record: AuditRecord) -> String { String(decoding: record.jsonLine, as: UTF8.self) }

    static let sample: [AuditRecord] = [
        AuditRecord(ts: t0, outcome: .received, event: "evt_A", source: "buildr", type: "contact.update", contact: "144", targets: ["plannr", "omnichannel"], payload: Array("{}".utf8)),
        AuditRecord(ts: t0 + .seconds(1), outcome: .retry, event: "evt_A", source: "buildr", contact: "144", target: "plannr", attempt: 1, status: 503, retryInMs: 800, error: "HTTP 503"),
        AuditRecord(ts: t0 + .seconds(2), outcome: .applied, event: "evt_A", source: "buildr", contact: "144", target: "omnichannel", attempt: 1, status: 200, ms: 12, request: "PUT /contacts/144"),
        AuditRecord(ts: t0 + .seconds(3), outcome: .failed, event: "evt_A", source: "buildr", contact: "144", target: "plannr", attempt: 2, status: 422, error: "HTTP 422: invalid"),
        AuditRecord(ts: t0 + .seconds(4), outcome: .rejected, source: "standard", status: 401, reason: "no_matching_signature", error: "bad signature", remote: "10.0.0.9"),
        AuditRecord(
            ts: t0 + .seconds(5), outcome: .received, event: "evt_B", message: "msg_B", source: "standard", type: "contact.updated", contact: "c_1",
            targets: ["buildr"], payload: Array("{}".utf8)),
    ]

    static func writeLog(_ records: [AuditRecord]) throws -> String {
        let path = NSTemporaryDirectory() + "hookline-tail-" + UUID().uuidString + ".jsonl"
        try records.map(line).joined(separator: "\n").appending("\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func output(_ arguments: [String]) async throws -> [String] {
        let command = try TailCommand.parse(arguments)
        var lines: [String] = []
        try await command.stream(filter: try command.filter(now: t0 + .seconds(10)), colour: false) { lines.append($0) }
        return lines
    }

    @Test("filters by outcome, event, contact, target, type, message and time — the console's filters")
    func filters() async throws {
        let path = try Self.writeLog(Self.sample)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try await Self.output([path, "--outcome", "failed,rejected"]).count == 2)
        #expect(try await Self.output([path, "--outcome", "failed", "--outcome", "retry"]).count == 2)
        #expect(try await Self.output([path, "--event", "evt_A"]).count == 4)
        #expect(try await Self.output([path, "--contact", "c_1"]).count == 1)
        #expect(try await Self.output([path, "--target", "plannr"]).count == 3, "the received line names plannr among its targets")
        #expect(try await Self.output([path, "--since", "7s"]).count == 3)
        #expect(try await Self.output([path, "-n", "2"]).count == 2)
        #expect(try await Self.output([path, "--until", "7s"]).count == 3, "before t0+3s")
        #expect(try await Self.output([path, "--type", "contact.update"]).count == 1)
        #expect(try await Self.output([path, "--message", "msg_B"]).count == 1)
    }

    @Test("columns for people, raw lines with --json")
    func formats() async throws {
        let path = try Self.writeLog(Self.sample)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let failed = try await Self.output([path, "--outcome", "failed"])
        #expect(failed == ["2026-11-22 06:46:43.000  failed     evt_A                           buildr → plannr           -                 144           #2 422        HTTP 422: invalid"])
        let raw = try await Self.output([path, "--outcome", "failed", "--json"])
        #expect(raw == [Self.line(Self.sample[3]).trimmingCharacters(in: .newlines)])
    }

    @Test("a bad --outcome or --since is a usage error naming the flag")
    func badFlags() throws {
        #expect(throws: CommandFailure.self) { try TailCommand.parse(["x", "--outcome", "sucess"]).filter(now: Self.t0) }
        #expect(throws: CommandFailure.self) { try TailCommand.parse(["x", "--since", "yesterday"]).filter(now: Self.t0) }
        #expect(throws: CommandFailure.self) { try TailCommand.parse(["x", "--until", "soon"]).filter(now: Self.t0) }
    }

    @Test("-f picks up lines appended after it started, across a rotation and a truncation, and never prints half a line")
    func follow() async throws {
        let path = try Self.writeLog(Array(Self.sample.prefix(2)))
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: path + ".1")
        }
        let seen = CollectedLines()
        let follower = Task {
            let command = try TailCommand.parse([path, "-f", "--json"])
            try await command.stream(filter: AuditFilter(), colour: false) { line in seen.lines.withLock { $0.append(line) } }
        }
        defer { follower.cancel() }
        func waitFor(_ count: Int) async throws {
            let deadline = ContinuousClock.now + .seconds(10)
            while seen.lines.withLock({ $0.count }) < count {
                guard ContinuousClock.now < deadline else {
                    Issue.record("saw \(seen.lines.withLock { $0.count }) lines, expected \(count)")
                    return
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        try await waitFor(2)

        // Appended, in two writes: the first half of a line must not be printed alone.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        let third = Self.line(Self.sample[2])
        handle.write(Data(third.prefix(40).utf8))
        try await Task.sleep(for: .milliseconds(300))
        #expect(seen.lines.withLock { $0.count } == 2, "a half-written line is held back")
        handle.write(Data(third.dropFirst(40).utf8))
        try handle.close()
        try await waitFor(3)

        // Rotated: the file moves aside and a new one takes its name.
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        try Self.line(Self.sample[3]).write(toFile: path, atomically: false, encoding: .utf8)
        try await waitFor(4)

        // Truncated in place, then written again.
        try "".write(toFile: path, atomically: false, encoding: .utf8)
        try await Task.sleep(for: .milliseconds(300))
        try Self.line(Self.sample[4]).write(toFile: path, atomically: false, encoding: .utf8)
        try await waitFor(5)

        let lines = seen.lines.withLock { $0 }
        #expect(lines.map { try? AuditRecord(jsonLine: Array($0.utf8)) } == Array(Self.sample.prefix(5)))
    }

    @Test("several files are merged by ts; a line adopted into a second log shows once; -n and --json apply to the merge")
    func mergesFiles() async throws {
        // Instance a accepted evt_A and applied it; b did the rest, and adopted a's applied line.
        let a = try Self.writeLog([Self.sample[0], Self.sample[2], Self.sample[4]])
        let b = try Self.writeLog([Self.sample[1], Self.sample[3], Self.sample[5], Self.sample[2]])
        defer { for path in [a, b] { try? FileManager.default.removeItem(atPath: path) } }
        let merged = try await Self.output([a, b, "--json"])
        #expect(merged.map { try? AuditRecord(jsonLine: Array($0.utf8)) } == Self.sample)
        #expect(try await Self.output([b, a, "--json"]) == merged, "the order of the files does not matter")
        #expect(try await Self.output([a, b, "-n", "2", "--json"]) == Array(merged.suffix(2)))
        #expect(try await Self.output([a, b, "--event", "evt_A"]).count == 4)
        #expect(try await Self.output([b]).count == 4, "one file is shown as it is, its copied line included")

        let missing = NSTemporaryDirectory() + "hookline-tail-missing-" + UUID().uuidString
        await #expect(throws: FileError.self) { try await Self.output([a, missing]) }
    }

    @Test("-f over several files shows the merged backlog, then new lines from each file as they come")
    func followsFiles() async throws {
        let a = try Self.writeLog([Self.sample[2]])
        let b = try Self.writeLog([Self.sample[0], Self.sample[1]])
        defer { for path in [a, b] { try? FileManager.default.removeItem(atPath: path) } }
        let seen = CollectedLines()
        let follower = Task {
            let command = try TailCommand.parse([a, b, "-f", "--json"])
            try await command.stream(filter: AuditFilter(), colour: false) { line in seen.lines.withLock { $0.append(line) } }
        }
        defer { follower.cancel() }
        func records() -> [AuditRecord?] { seen.lines.withLock { $0 }.map { try? AuditRecord(jsonLine: Array($0.utf8)) } }
        try await eventually("the merged backlog") { records().count == 3 }
        #expect(records() == Array(Self.sample.prefix(3)))

        func append(_ record: AuditRecord, to path: String) throws {
            let handle = try #require(FileHandle(forWritingAtPath: path))
            handle.seekToEndOfFile()
            handle.write(Data((Self.line(record) + "\n").utf8))
            try handle.close()
        }
        // b adopts a's applied line, then writes a new one: once the new one is out, the copy was read.
        try append(Self.sample[2], to: b)
        try append(Self.sample[3], to: b)
        try await eventually("the line appended to b") { records().last == Self.sample[3] }
        try append(Self.sample[4], to: a)
        try await eventually("the line appended to a") { records().last == Self.sample[4] }
        #expect(records() == Array(Self.sample.prefix(5)), "the repeated applied line is shown once")
        // Cancelled, the follow ends (within the suite's time limit): its readers are child
        // tasks of it, so once it has returned none of them is left reading.
        follower.cancel()
        _ = await follower.result
    }

    @Test("control characters in ids and errors are shown escaped; --json stays exact JSON with none raw")
    func hostileFields() async throws {
        let hostile = "c_1\u{1B}[2J\u{1B}[31m\r\n2026-11-22 08:00:00.000  applied  fake\u{9B}31m\u{202E}x\u{7F}"
        let record = AuditRecord(
            ts: Self.t0, outcome: .skipped, event: "evt_C", source: "standard", type: "contact.updated", contact: hostile, target: "buildr",
            error: "the contact id '\(hostile)' is bad")
        let path = try Self.writeLog([record])
        defer { try? FileManager.default.removeItem(atPath: path) }

        let columns = try await Self.output([path])
        #expect(columns.count == 1)
        let shown = try #require(columns.first)
        for raw: Unicode.Scalar in ["\u{1B}", "\r", "\n", "\u{9B}", "\u{202E}", "\u{7F}"] {
            #expect(!shown.unicodeScalars.contains(raw), "raw U+\(String(raw.value, radix: 16)) printed")
        }
        #expect(shown.contains(#"c_1\e[2J\e[31m\r\n2026-11-22"#))

        let json = try #require(try await Self.output([path, "--json"]).first)
        #expect(!json.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0 == "\u{202E}" })
        #expect(try AuditRecord(jsonLine: Array(json.utf8)).contact == hostile, "the JSON still means the same id")
    }

    @Test("a summary of suppressed rejections shows its count")
    func suppressedCount() async throws {
        let summary = RejectionBudget.Suppressed(
            key: RejectionBudget.Key(source: "standard", reason: "missing_header"), count: 4213, status: 401, since: Self.t0)
        let path = try Self.writeLog([summary.record(at: Self.t0 + .seconds(60), limits: RejectionBudget.Limits())])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let line = try #require(try await Self.output([path]).first)
        #expect(line.contains("401 ×4213"))
        #expect(line.contains("4213 more rejected requests (missing_header, HTTP 401)"))
    }
}

/// Lines a following tail emitted, shared with the test.
final class CollectedLines: Sendable {
    let lines = Mutex<[String]>([])
}
