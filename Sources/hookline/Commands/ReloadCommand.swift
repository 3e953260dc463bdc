import ArgumentParser
import Foundation
import HooklineCore
import HooklineServer

/// `hookline reload`: the running Hookline reads its configuration file again, as on SIGHUP.
struct ReloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Make the running Hookline read its configuration again, without a restart.",
        discussion: """
            The same as sending it SIGHUP, but this waits for the answer and says what changed. \
            Sources and their secrets, routes, targets and their rate limits, the retry policy, \
            alert rules and console tokens apply to every delivery and attempt that starts from \
            then on; those under way finish with what they started with. A change to what needs \
            a restart (the listener, the store, the audit log, the queue, tracing, the console's \
            listener, alert channels) is refused, and an invalid file changes nothing: both exit 1 \
            with the reason, which the running Hookline also logs.

            The running Hookline is reached through the control socket beside its audit log \
            (<audit.path>.sock): --config names the configuration it was started with.

            Examples:
              hookline reload --config /etc/hookline/hookline.yaml
              kill -HUP $(pidof hookline)                    (the same, without the answer)
            """
    )

    @Option(help: "The configuration of the running Hookline (to find its control socket).")
    var config: String = "hookline.yaml"

    @Option(help: "Who is asking, for the log (default: the shell user).")
    var by: String?

    func run() async throws {
        // Only the audit path is needed to find the socket; the running Hookline reads the file
        // itself, and says what is wrong with it if anything is.
        let socket: String
        do {
            socket = ControlClient.socket(forAuditLog: try ConfigurationFile.read(config).configuration.audit.path)
        } catch {
            // A file that does not load still names its audit log, most likely.
            guard let text = try? FileBytes.readText(config),
                let path = try? ConfigurationLoader.auditPath(yaml: text, file: config, environment: ProcessEnvironment.current)
            else { throw CommandFailure.usage("\(error)") }
            socket = ControlClient.socket(forAuditLog: path)
        }
        let who = actingUser(by)
        let answer: JSONValue
        do {
            answer = try await ControlClient.reload(by: who, socket: socket)
        } catch let unreachable as ControlClient.Unreachable {
            throw CommandFailure.runtime("\(unreachable); is Hookline running with \(config)?")
        } catch {
            throw CommandFailure.runtime("\(error)")
        }
        switch answer["result"]?.stringValue {
        case "applied":
            Console.show("reloaded \(config):")
            for change in answer["changes"]?.arrayValue ?? [] { Console.show("  \(change.stringValue ?? "")") }
        case "unchanged":
            Console.show("reloaded \(config): nothing changed")
        case "refused":
            for reason in answer["needs_restart"]?.arrayValue ?? [] { Console.show("  \(reason.stringValue ?? "")") }
            throw CommandFailure.runtime("not reloaded: \(config) changes what needs a restart (above); nothing was changed")
        default:
            throw CommandFailure.runtime("not reloaded: \(answer["error"]?.stringValue ?? "the running Hookline refused it"); nothing was changed")
        }
    }
}
