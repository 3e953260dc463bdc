import ArgumentParser
import HooklineCore

/// `hookline console-token`: a new console token and the line that lets it in.
struct ConsoleTokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console-token",
        abstract: "Make a token for the web console, and print it with its SHA-256 for console.tokens.",
        discussion: """
            The token is shown once: hand it to the person (or the CI job) who will use it. Only \
            its SHA-256 goes in the configuration, so the file holds nothing that signs in.

            Example:
              hookline console-token --name on-call --role operator
            """
    )

    @Option(help: "The token's name: who uses it (it names them in the audit lines of what they do).")
    var name: String = "console"

    @Option(help: "viewer (looks; payloads masked) or operator (also redrives, pauses and resumes).")
    var role: String = "viewer"

    func run() throws {
        guard ConsoleSettings.Role(rawValue: role) != nil else { throw CommandFailure.usage("--role: expected viewer or operator, got '\(role)'") }
        var generator = SystemRandomNumberGenerator()
        let token = "hlc_" + Hex.encode((0..<24).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        Console.show("token:  \(token)")
        Console.show("sha256: \(SHA256Digest.hex(token))")
        Console.show("")
        Console.show("console:")
        Console.show("  tokens:")
        Console.show("    - {name: \(name), role: \(role), sha256: \"\(SHA256Digest.hex(token))\"}")
    }
}
