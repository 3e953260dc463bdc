import Foundation
import HooklineCore
import HooklineServer
import HooklineTestSupport
import Testing

/// `hookline pause` and `hookline resume`, as an operator runs them.
@Suite("hookline pause and resume, as processes", .serialized, .timeLimit(.minutes(2)))
struct PauseProcessTests {
    static func directory() throws -> String {
        let directory = NSTemporaryDirectory() + "hookline-pause-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    /// The configuration at `path` for a Hookline in this process, on a free port.
    static func configuration(at path: String, environment: [String: String]) throws -> HooklineConfiguration {
        var configuration = try ConfigurationLoader.load(yaml: try String(contentsOfFile: path, encoding: .utf8), file: path, environment: environment)
        configuration.server.port = 0
        return configuration
    }

    @Test("pause and resume reach the running Hookline through its control socket: held, shown in /metrics, written with who, and said when nothing changes")
    func throughTheSocket() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let audit = "\(directory)/audit.jsonl"
        let (path, environment) = try OperateProcessTests.configurationFile(directory: directory, auditPath: audit)
        let configuration = try Self.configuration(at: path, environment: environment)
        try await withRunningHookline(configuration, options: HooklineRuntime.Options(workers: false)) { running in
            let paused = try await ServeProcessTests.run(["pause", "omnichannel", "--config", path, "--by", "on-call"], environment: environment)
            #expect(paused.status == 0, "\(paused.output)\(paused.error)")
            #expect(paused.output.contains("omnichannel paused (by on-call)"), "\(paused.output)")
            #expect(running.store.paused["omnichannel"]?.by == "on-call")
            let metrics = try await HTTPGet.fetch(running.baseURL + "/metrics")
            #expect(metrics.body.contains(#"hookline_target_paused{target="omnichannel"} 1"#), "\(metrics.body)")

            let again = try await ServeProcessTests.run(["pause", "omnichannel", "--config", path, "--by", "on-call"], environment: environment)
            #expect(again.status == 0)
            #expect(again.output.contains("omnichannel was already paused; nothing changed"), "\(again.output)")

            let resumed = try await ServeProcessTests.run(["resume", "omnichannel", "--config", path, "--by", "on-call"], environment: environment)
            #expect(resumed.status == 0, "\(resumed.output)\(resumed.error)")
            #expect(resumed.output.contains("omnichannel resumed (by on-call)"))
            #expect(running.store.paused.isEmpty)
            let after = try await HTTPGet.fetch(running.baseURL + "/metrics")
            #expect(after.body.contains(#"hookline_target_paused{target="omnichannel"} 0"#))

            let unknown = try await ServeProcessTests.run(["pause", "plannr", "--config", path], environment: environment)
            #expect(unknown.status == 2)
            #expect(unknown.error.contains("no target named 'plannr'"), "\(unknown.error)")
        }
        let lines = try AuditLogReading.records(audit).filter { [.paused, .resumed].contains($0.outcome) }
        #expect(lines.map { "\($0.outcome.rawValue) \($0.target ?? "") \($0.by ?? "")" } == ["paused omnichannel on-call", "resumed omnichannel on-call"])
    }

    @Test("with no Hookline running, a pause is written in-process, and the next start holds it")
    func inProcess() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let audit = "\(directory)/audit.jsonl"
        let (path, environment) = try OperateProcessTests.configurationFile(directory: directory, auditPath: audit)
        let paused = try await ServeProcessTests.run(["pause", "omnichannel", "--config", path, "--by", "night-shift"], environment: environment)
        #expect(paused.status == 0, "\(paused.output)\(paused.error)")
        #expect(paused.output.contains("omnichannel paused (by night-shift)"))
        let configuration = try Self.configuration(at: path, environment: environment)
        try await withRunningHookline(configuration, options: HooklineRuntime.Options(workers: false)) { running in
            #expect(running.store.paused["omnichannel"]?.by == "night-shift")
        }
    }
}
