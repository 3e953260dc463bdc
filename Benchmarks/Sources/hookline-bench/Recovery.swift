import ArgumentParser
import HooklineCore
import HooklineServer

/// Times start-up recovery of a log: the replay alone, then a whole runtime start to listening.
struct Recovery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "recovery", abstract: "Time recovery of an audit log.")

    @Argument(help: "The audit log (it is not modified beyond what a start does).")
    var path: String

    func run() async throws {
        let replayStart = ContinuousClock.now
        let (journal, summary) = try JournalRecovery.replay(path: path)
        let replaySeconds = (ContinuousClock.now - replayStart).secondsValue
        print("replay: \(summary.lines) lines in \(String(format: "%.2f", replaySeconds)) s = \(Int(Double(summary.lines) / replaySeconds)) lines/s; \(journal.pendingCount) events owed")

        let configuration = try ConfigurationLoader.load(
            yaml: """
                server: {port: 0}
                audit: {path: "\(path)", fsync: none}
                queue: {workers: 1}
                sources:
                  - {name: standard, kind: standard, signature: {scheme: standard-webhooks, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}
                targets:
                  - {name: omnichannel, kind: omnichannel, base_url: "http://127.0.0.1:9/omnichannel", api_key: k}
                routes:
                  - {from: standard, to: omnichannel}
                """, file: "(bench)", environment: [:])
        let start = ContinuousClock.now
        let runtime = try await HooklineRuntime.start(configuration: configuration)
        let seconds = (ContinuousClock.now - start).secondsValue
        print("start-up to listening: \(String(format: "%.2f", seconds)) s (\(runtime.recovery.recoveredJobs) jobs re-queued)")
        await runtime.stop()
    }
}
