import ArgumentParser
import Foundation
import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTools

/// Apply throughput: N events queued with the workers stopped, then the workers started and
/// timed until every event is applied at the sandbox (rate limits off).
struct Apply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "apply", abstract: "Measure events applied per second.")

    @Option var events = 50_000
    @Option var workers = 16
    @Option var contacts = 5000

    func run() async throws {
        let sandbox = try await SandboxCRM.start(
            configuration: SandboxConfiguration(rateLimits: false, recordRequests: false, createUnknownContacts: true))
        let directory = "/tmp/hookline-apply-\(UnixTime.now().milliseconds)"
        try FileSink(path: "/dev/null").close()
        _ = mkdirIfNeeded(directory)
        let configuration = try ConfigurationLoader.load(
            yaml: """
                server: {port: 0}
                audit: {path: "\(directory)/audit.jsonl", fsync: batch}
                queue: {capacity: \(events * 2), workers: \(workers)}
                \(sandbox.standardToOmnichannelYAML(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
                """, file: "(apply bench)", environment: [:])
        try await withRunningHookline(configuration, options: HooklineRuntime.Options(workers: false)) { running in
            let url = "\(running.baseURL)/webhooks/standard"
            let source = configuration.sources[0]
            let deliverer = WebhookDeliverer()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<32 {
                    group.addTask {
                        var index = task
                        while index < events {
                            let body = SignRequests.body(index, contacts: contacts)
                            _ = try await deliverer.deliver(body, to: url, source: source, messageID: "msg_apply_\(index)")
                            index += 32
                        }
                    }
                }
                try await group.waitForAll()
            }
            let queued = running.store.occupancy.jobs
            let started = ContinuousClock.now
            running.startWorkers()
            while running.store.occupancy.jobs > 0 { try await Task.sleep(for: .milliseconds(5)) }
            let seconds = (ContinuousClock.now - started).secondsValue
            _ = await running.store.flush()
            // The bench runs the file store: its log must owe nothing once the queue is empty.
            let applied = (running.store as? FileStore)?.journal.owedTargets().isEmpty ?? false
            print("apply: \(queued) events in \(String(format: "%.2f", seconds)) s = \(Int(Double(queued) / seconds)) events/s with \(workers) workers (all finished: \(applied))")
        }
        await sandbox.stop()
    }
}

func mkdirIfNeeded(_ path: String) -> Bool {
    mkdir(path, 0o755) == 0
}
