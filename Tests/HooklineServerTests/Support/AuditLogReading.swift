import HooklineCore
import HooklineServer

/// Reads the audit log a test's Hookline wrote.
enum AuditLogReading {
    /// Every complete line, parsed.
    static func records(_ path: String) throws -> [AuditRecord] {
        let bytes = try FileBytes.read(path)
        return try bytes.split(separator: UInt8(ascii: "\n")).map { try AuditRecord(jsonLine: $0) }
    }

    /// The raw text of the log.
    static func text(_ path: String) throws -> String {
        String(decoding: try FileBytes.read(path), as: UTF8.self)
    }
}

/// Waits until `condition` holds, checking every few milliseconds, and fails after `timeout`.
func eventually(
    timeout: Duration = .seconds(10),
    _ description: String = "condition",
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    if try await condition() { return }
    throw TimedOut(description: description, timeout: timeout)
}

struct TimedOut: Error, CustomStringConvertible {
    let description: String
    let timeout: Duration

    init(description: String, timeout: Duration) {
        self.description = "timed out after \(timeout) waiting for \(description)"
        self.timeout = timeout
    }
}
