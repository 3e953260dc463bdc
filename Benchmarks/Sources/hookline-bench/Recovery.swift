import ArgumentParser
import HooklineCore
import HooklineServer

/// Times start-up recovery of a log: the replay alone, then a whole runtime start to listening.
struct Recovery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "recovery", abstract: "Time recovery of an audit log.")

    @Argument(help: "The audit log (it is not modified beyond what a start does).")
    var path: String

    func run() async throws {
        let journal = try FileJournal.open(path: path, options: AuditLogWriter.Options(fsync: .none))
        let report = journal.report
        print("replay: \(report.lines) lines in \(String(format: "%.2f", report.seconds)) s = \(Int(Double(report.lines) / report.seconds)) lines/s; \(journal.owedCount) events owed")
        await journal.close()

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
        try await withRunningHookline(configuration, options: HooklineRuntime.Options(workers: false)) { running in
            let seconds = (ContinuousClock.now - start).secondsValue
            print("start-up to listening: \(String(format: "%.2f", seconds)) s (\(running.recovery.recoveredJobs) jobs re-queued)")
        }
    }
}
