import Foundation
import HooklineCore
import HooklineServer
import HooklineTestSupport
import NIOPosix
import Testing

@Suite("a start that fails", .serialized, .timeLimit(.minutes(1)))
struct FailedStartTests {
    /// On event loops it does not own (a test's, an embedding program's): its own would close the
    /// port when they shut down, whatever the start did.
    static let options = HooklineRuntime.Options(workers: false, eventLoops: MultiThreadedEventLoopGroup.singleton)

    @Test("a start that fails after binding its port (the control socket cannot be made) says why and leaves the port free")
    func leavesNoPortBehind() async throws {
        // A port that was free a moment ago, found by a Hookline on port 0.
        let port = try await withHookline { hookline in hookline.running.port }
        let directory = try TemporaryDirectory()
        let audit = directory.file("audit.jsonl")
        // A directory where the control socket goes: it cannot be removed to make the socket.
        try FileManager.default.createDirectory(atPath: audit + ".sock", withIntermediateDirectories: false)
        let yaml = TestConfiguration.yaml(auditPath: audit).replacingOccurrences(of: "  port: 0\n", with: "  port: \(port)\n")
        #expect(yaml.contains("port: \(port)"))
        let configuration = try TestConfiguration.make(yaml)
        let failure = await #expect(throws: (any Error).self) {
            try await withRunningHookline(configuration, options: Self.options) { _ in }
        }
        #expect(String(describing: failure).contains("audit.jsonl.sock"), "the error names the socket: \(String(describing: failure))")
        // The port is free again: another Hookline binds it.
        try FileManager.default.removeItem(atPath: audit + ".sock")
        let again = try await withRunningHookline(configuration, options: Self.options) { $0.port }
        #expect(again == port)
    }
}
