import HooklineCore

/// The CLI's output: every line shown with the control characters of whatever it quotes (ids,
/// paths, names, error sentences from a config file or a signed body) made visible, so printing
/// cannot clear the screen, recolour it or fake lines. Lines carrying Hookline's own colour codes
/// (`tail`'s columns, the tables) escape their fields instead, and are printed as they are.
enum Console {
    /// Writes `text` to standard output, each of its lines escaped.
    static func show(_ text: String, terminator: String = "\n") {
        print(escaped(text), terminator: terminator)
    }

    /// Writes `text` to standard error, each of its lines escaped.
    static func error(_ text: String) {
        StandardError.write(escaped(text) + "\n")
    }

    /// `text` with its intended newlines kept and everything else escaped.
    static func escaped(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { TerminalText.escaping(String($0)) }.joined(separator: "\n")
    }
}
