import Foundation
import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTestSupport
import HooklineTools
import Testing

@Suite("applying yields to receiving")
struct ThreadPriorityTests {
    /// Every thread of this process: its name and nice value (from /proc).
    static func threads() throws -> [(name: String, nice: Int)] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").compactMap { id in
            let name = (try? String(contentsOfFile: "/proc/self/task/\(id)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let stat = try? String(contentsOfFile: "/proc/self/task/\(id)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }  // the thread ended while being listed
            // Fields after the name: state is field 3, nice is field 19.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 16, let nice = Int(fields[16]) else { return nil }
            return (name ?? "", nice)
        }
    }

    @Test("events are applied on Hookline's own event-loop threads at nice 5; no other thread is lowered")
    func onlyOwnThreadsLowered() async throws {
        try await withSandboxCRM { sandbox in
            try await withApplyingHookline(to: sandbox) { hookline in
                for index in 0..<20 {
                    _ = try await hookline.deliver(Array(#"{"type":"contact.updated","data":{"id":"c\#(index)","first_name":"n"}}"#.utf8), to: "standard")
                }
                _ = try await hookline.settled()
                let lowered = try Self.threads().filter { $0.nice == Int(5) }
                #expect(lowered.count >= 1, "the apply threads run at nice 5")
                #expect(lowered.allSatisfy { $0.name.hasPrefix("NIO-ELT") }, "lowered threads: \(lowered.map(\.name))")
            }
        }
    }
}
