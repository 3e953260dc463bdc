import HooklineCore

/// Message ids for replayed bodies: the same bytes replayed to the same source carry the same
/// id, so a second run is answered `duplicate` instead of applied twice.
package enum ReplayMessageID {
    package static func make(source: String, body: [UInt8]) -> String {
        guard let key = try? HMACKey(algorithm: .sha256, secret: "hookline-replay"),
            let digest = try? key.authenticationCode(prefix: Array("\(source)\n".utf8), message: body)
        else { return MessageIDGenerator.random() }
        return "msg_replay_" + Hex.encode(digest.prefix(12))
    }
}
