import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `hookline`: receive CRM webhooks, verify them, and apply them to other CRMs.
@main
struct Hookline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hookline",
        abstract: "Receive CRM webhooks, prove they are genuine, and apply them to other CRMs.",
        discussion: "Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.",
        subcommands: [DemoCommand.self, ServeCommand.self, ReplayCommand.self, TailCommand.self, RedriveCommand.self, PauseCommand.self, ResumeCommand.self, EraseCommand.self, ReloadCommand.self, AlertTestCommand.self, ConsoleTokenCommand.self, CheckConfigCommand.self, MigrateCommand.self, SignCommand.self]
    )

    /// Runs the command line, mapping failures onto Hookline's exit codes: 0 ok, 1 runtime
    /// failure, 2 usage or configuration error (ArgumentParser's own default would be 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            Console.error("hookline: \(failure.message)")
            Glibc.exit(failure.exitCode)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { Console.show(message) }
                Glibc.exit(0)
            }
            Console.error(message)
            Glibc.exit(code == .validationFailure || code.rawValue == 64 ? 2 : code.rawValue)
        }
    }
}
