#if canImport(Glibc)
import Glibc
#endif

import HooklineCore

/// Plain-text tables for the CLI: left-aligned columns, optional ANSI colour per cell. Cell text
/// is shown with its control characters escaped (`TerminalText`), so a hostile id cannot act on
/// the terminal.
package struct TextTable: Sendable {
    package enum Colour: String, Sendable {
        case green = "32"
        case yellow = "33"
        case red = "31"
        case cyan = "36"
        case dim = "2"
    }

    package struct Cell: Sendable {
        package var text: String
        package var colour: Colour?

        package init(_ text: String, colour: Colour? = nil) {
            self.text = TerminalText.escaping(text)
            self.colour = colour
        }
    }

    package var headers: [String]
    package var rows: [[Cell]] = []

    package init(headers: [String]) {
        self.headers = headers.map(TerminalText.escaping)
    }

    package mutating func add(_ cells: [Cell]) { rows.append(cells) }

    /// The table as text; colours only when `colour` is true.
    package func render(colour: Bool) -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.text.count)
            }
        }
        func line(_ cells: [Cell]) -> String {
            var parts: [String] = []
            for (index, cell) in cells.enumerated() {
                let isLast = index == cells.count - 1
                let padded = isLast ? cell.text : cell.text + String(repeating: " ", count: max(0, widths[index] - cell.text.count))
                if colour, let code = cell.colour {
                    parts.append("\u{1B}[\(code.rawValue)m\(padded)\u{1B}[0m")
                } else {
                    parts.append(padded)
                }
            }
            return parts.joined(separator: "  ")
        }
        var output = [line(headers.map { Cell($0, colour: .dim) })]
        output += rows.map(line)
        return output.joined(separator: "\n") + "\n"
    }

    /// The usual colour for an audit outcome.
    package static func colour(for outcome: String) -> Colour? {
        switch outcome {
        case "applied", "accepted": .green
        case "retry", "coalesced", "duplicate", "recovered", "created": .yellow
        case "failed", "dead", "rejected": .red
        case "received": .cyan
        case "skipped", "ignored": .dim
        default: nil
        }
    }

    /// Whether standard output is a terminal (and `NO_COLOR` is not set).
    package static var standardOutputIsTerminal: Bool {
        isatty(STDOUT_FILENO) == 1 && getenv("NO_COLOR") == nil
    }
}
