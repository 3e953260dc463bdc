import HooklineCore

/// Random identifiers for messages Hookline signs itself (`hookline sign`, `replay --to`).
package enum MessageIDGenerator {
    /// `msg_` and 24 random hex digits.
    package static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<12).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return "msg_" + Hex.encode(bytes)
    }
}
