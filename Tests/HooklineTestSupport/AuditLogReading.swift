import Foundation
import HooklineCore
import HooklineServer

/// Reads the audit log a test's Hookline wrote.
package enum AuditLogReading {
    /// Every complete line, parsed. A last line without its newline is still being written by a
    /// running Hookline and is left out, as Hookline's own readers do.
    package static func records(_ path: String) throws -> [AuditRecord] {
        let bytes = try FileBytes.read(path)
        let complete = bytes[..<(bytes.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? bytes.startIndex)]
        return try complete.split(separator: UInt8(ascii: "\n")).map { try AuditRecord(jsonLine: $0) }
    }

    /// Every record of a rotated log: its archives (`<path>.<timestamp>`) in order, then the file itself.
    package static func allRecords(_ path: String) throws -> [AuditRecord] {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        let archives = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasPrefix(name + ".") && !$0.hasSuffix(".sock") && !$0.hasSuffix(".next") }
            .sorted()
        return try (archives.map { "\(directory)/\($0)" } + [path]).flatMap(records)
    }

    /// The raw text of the log.
    package static func text(_ path: String) throws -> String {
        String(decoding: try FileBytes.read(path), as: UTF8.self)
    }
}

/// Waits until `condition` holds, checking every few milliseconds, and fails after `timeout`.
package func eventually(
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

package struct TimedOut: Error, CustomStringConvertible {
    package let description: String
    package let timeout: Duration

    package init(description: String, timeout: Duration) {
        self.description = "timed out after \(timeout) waiting for \(description)"
        self.timeout = timeout
    }
}

/// A test's own failure, said in a sentence.
package struct TestFailure: Error, CustomStringConvertible {
    package let description: String

    package init(_ description: String) { self.description = description }
}
