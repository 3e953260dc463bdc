import HooklineCore

/// Test helpers for writing byte strings.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func hex(_ text: String) -> [UInt8] {
    guard let decoded = Hex.decode(text) else { preconditionFailure("bad hex in test: \(text)") }
    return decoded
}
