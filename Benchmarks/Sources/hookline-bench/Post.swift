import ArgumentParser
import HooklineCore
import HooklineServer
import HooklineTools

/// Posts signed contact updates concurrently (to fill a queue for the memory measurement).
struct Post: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "post", abstract: "POST signed updates concurrently.")

    @Option var count = 100_000
    @Option var concurrency = 32
    @Option var secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    @Option var contacts = 5000
    @Option(help: "The first update's number (message ids are msg_post_<number>).") var first = 0
    @Argument(help: "The webhook URL, e.g. http://127.0.0.1:8080/webhooks/standard") var url: String

    func run() async throws {
        let scheme = StandardWebhooksScheme()
        let verifier = try SignatureVerifier(scheme: scheme, secrets: [secret])
        let source = SourceSettings(name: "standard", kind: .standard, verifier: verifier)
        let deliverer = WebhookDeliverer()
        let started = ContinuousClock.now
        let statuses = try await withThrowingTaskGroup(of: [Int: Int].self) { group in
            let perTask = (count + concurrency - 1) / concurrency
            for task in 0..<concurrency {
                group.addTask {
                    var statuses: [Int: Int] = [:]
                    for offset in 0..<perTask {
                        guard task * perTask + offset < count else { break }
                        let index = first + task * perTask + offset
                        let answer = try await deliverer.deliver(
                            SignRequests.body(index, contacts: contacts), to: url, source: source, messageID: "msg_post_\(index)")
                        statuses[answer.status, default: 0] += 1
                    }
                    return statuses
                }
            }
            return try await group.reduce(into: [:]) { total, part in total.merge(part, uniquingKeysWith: +) }
        }
        let seconds = (ContinuousClock.now - started).secondsValue
        print("posted \(count) in \(String(format: "%.1f", seconds)) s: " + statuses.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
    }
}
