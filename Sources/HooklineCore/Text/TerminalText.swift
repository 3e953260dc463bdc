/// Text from webhooks (ids, names, error excerpts) made safe to print on an operator's terminal.
///
/// A signed body can carry `ESC[2J`, colour codes, CR/LF or a right-to-left override in a contact
/// id; printed as they are, they clear the screen, recolour it or fake lines. Every field the CLI
/// prints goes through `escaping(_:)`, which shows such characters as visible escapes instead.
package enum TerminalText {
    /// `text` with every C0 control, DEL, C1 control, and bidirectional or line-separator
    /// formatting character replaced by a visible escape: `\n`, `\r`, `\t`, `\e` (ESC), `\x7f`,
    /// `\u{9b}`, `\u{202e}`. Returns `text` itself when there is nothing to escape.
    package static func escaping(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var output = ""
        output.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                output.unicodeScalars.append(scalar)
                continue
            }
            switch scalar.value {
            case 0x0A: output += "\\n"
            case 0x0D: output += "\\r"
            case 0x09: output += "\\t"
            case 0x1B: output += "\\e"
            case 0..<0x80: output += "\\x" + hex(scalar.value, digits: 2)
            default: output += "\\u{" + String(scalar.value, radix: 16) + "}"
            }
        }
        return output
    }

    /// Whether printing `scalar` raw could move the cursor, change colours or reorder text.
    package static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7F...0x9F: true  // C0 (ESC included), DEL, C1 (CSI 0x9B, OSC 0x9D…)
        case 0x2028, 0x2029: true  // line and paragraph separators
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true  // bidirectional controls
        default: false
        }
    }

    /// A JSON line with the same meaning, safe on a terminal: DEL, C1 controls and the
    /// bidirectional and separator characters written as `\u` escapes. JSON already escapes C0
    /// controls, and these characters can only occur inside strings, so the result is exact JSON
    /// for the same values. (Hookline writes its audit lines this way; this also covers lines
    /// written by older versions.)
    package static func safeJSONLine(_ line: [UInt8]) -> [UInt8] {
        guard line.contains(where: { $0 == 0x7F || $0 == 0xC2 || $0 == 0xE2 }) else { return line }
        return JSONWriter.escapingTerminalControls(inJSON: line)
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
