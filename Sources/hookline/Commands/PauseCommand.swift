import ArgumentParser
import Foundation
import HooklineCore
import HooklineServer

/// `hookline pause TARGET` / `hookline resume TARGET`: hold a target's jobs, or release them.
struct PauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause",
        abstract: "Pause a target: its jobs wait, in order, and none is attempted until it is resumed.",
        discussion: """
            A paused target's jobs stay in the store, each in its place; a call already in flight \
            finishes. The pause is written to the audit log (a paused line naming --by) before \
            this returns, so it holds across a restart; with store: postgres it holds for the \
            whole fleet within a second. hookline resume TARGET releases the jobs in order.

            A running Hookline is reached through the control socket beside its audit log \
            (<audit.path>.sock); with none running, the pause is written in-process.

            Examples:
              hookline pause plannr --config hookline.yaml
              hookline resume plannr --config hookline.yaml --by on-call
            """
    )

    @OptionGroup var options: PauseOptions

    func run() async throws { try await options.carryOut(resume: false) }
}

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Resume a paused target: its jobs run again, each lane from its head, in order.",
        discussion: "The counterpart of hookline pause; see hookline pause --help."
    )

    @OptionGroup var options: PauseOptions

    func run() async throws { try await options.carryOut(resume: true) }
}

struct PauseOptions: ParsableArguments {
    @Argument(help: "The target, by its name in the configuration.")
    var target: String

    @Option(help: "The configuration of the Hookline to act on.")
    var config: String = "hookline.yaml"

    @Option(help: "Who is acting, for the audit line (default: the shell user).")
    var by: String?

    func carryOut(resume: Bool) async throws {
        let configuration = try ConfigurationFile.load(config)
        guard configuration.targets.contains(where: { $0.name == target }) else {
            throw CommandFailure.usage(
                "no target named '\(target)' in \(config) (targets: \(configuration.targets.map(\.name).joined(separator: ", ")))")
        }
        let who = actingUser(by)
        let name = target
        let changed = try await onRunningOrInProcess(
            configuration, socket: { try await ControlClient.pause(name, by: who, resume: resume, socket: ControlClient.socket(forAuditLog: configuration.audit.path)) },
            inProcess: { running in try await resume ? running.store.resume(name, by: who) : running.store.pause(name, by: who) })
        let verb = resume ? "resumed" : "paused"
        Console.show(changed ? "\(target) \(verb) (by \(who))" : "\(target) was already \(resume ? "running" : "paused"); nothing changed")
    }
}
