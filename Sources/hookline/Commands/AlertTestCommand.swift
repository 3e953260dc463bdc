import ArgumentParser
import HooklineCore
import HooklineServer
import NIOPosix

/// `hookline alert-test [CHANNEL]`: sends a test alert, to see that a channel receives them.
struct AlertTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alert-test",
        abstract: "Send a test alert to a channel of alerts: (every channel when none is named).",
        discussion: """
            The alert says it is a test; a webhook channel's is signed with its secret as any \
            alert is. One attempt per channel, no retries: the exit status is 1 when one did not \
            answer 2xx.

            Example:
              hookline alert-test ops --config hookline.yaml
            """
    )

    @Argument(help: "The channel, by its name under alerts.channels.")
    var channel: String?

    @Option(help: "The configuration whose channels to use.")
    var config: String = "hookline.yaml"

    func run() async throws {
        let configuration = try ConfigurationFile.load(config)
        let all = configuration.alerts.channels
        guard !all.isEmpty else { throw CommandFailure.usage("\(config) has no alerts.channels") }
        let chosen = try channel.map { name in
            guard let found = all.first(where: { $0.name == name }) else {
                throw CommandFailure.usage("no channel named '\(name)' in \(config) (channels: \(all.map(\.name).joined(separator: ", ")))")
            }
            return [found]
        } ?? all
        let delivery = AlertDelivery(group: MultiThreadedEventLoopGroup.singleton)
        var failed: [String] = []
        for channel in chosen {
            let message = AlertMessage.test(channel: channel.name, at: .now(), instance: ProcessInfoLite.hostname)
            switch await delivery.send(message, to: channel) {
            case .success(let status): Console.show("\(channel): sent, \(channel.host) answered \(status)")
            case .failure(let failure):
                Console.show("\(channel): not sent: \(failure)")
                failed.append(channel.name)
            }
        }
        await delivery.shutdown()
        if !failed.isEmpty { throw CommandFailure.runtime("the test alert did not reach \(failed.joined(separator: ", "))") }
    }
}
