/// Standard Webhooks v1 (also Svix): `webhook-id`, `webhook-timestamp`, and
/// `webhook-signature: v1,<base64> [v1,<base64> …]` over `"{id}.{timestamp}.{body}"`.
package struct StandardWebhooksScheme: SignatureScheme {
    package let name = "standard-webhooks"

    /// Svix sends the same scheme under `svix-` names; either family is accepted.
    private struct HeaderFamily: Sendable {
        let id: String
        let timestamp: String
        let signature: String

        init(_ prefix: String) {
            id = "\(prefix)-id"
            timestamp = "\(prefix)-timestamp"
            signature = "\(prefix)-signature"
        }
    }

    private static let families = [HeaderFamily("webhook"), HeaderFamily("svix")]
    private static let secretPrefix = "whsec_"

    package init() {}

    package func key(forSecret secret: String) throws(SignatureConfigurationError) -> HMACKey {
        let encoded = secret.hasPrefix(Self.secretPrefix) ? secret.dropFirst(Self.secretPrefix.count) : Substring(secret)
        guard let bytes = Base64.decode(encoded), !bytes.isEmpty else {
            throw SignatureConfigurationError(
                setting: "secret",
                problem: "a Standard Webhooks secret is base64 after an optional whsec_ prefix"
            )
        }
        return try .configured(.sha256, secret: bytes)
    }

    package func messageID(in headers: some HeaderFields) -> String? {
        for family in Self.families {
            if let id = headers.first(family.id), !id.isEmpty { return id }
        }
        return nil
    }

    package func verify(
        body: UnsafeRawBufferPointer,
        headers: some HeaderFields,
        keys: [HMACKey],
        window: TimestampWindow
    ) -> SignatureVerdict {
        // The webhook- family unless only svix- signatures were sent.
        let family: HeaderFamily
        if headers.first(Self.families[0].signature) != nil {
            family = Self.families[0]
        } else if headers.first(Self.families[1].signature) != nil {
            family = Self.families[1]
        } else {
            return .rejected(.missingHeader(Self.families[0].signature))
        }
        let idHeader = family.id
        let timestampHeader = family.timestamp
        let signatureHeader = family.signature

        guard let id = headers.first(idHeader) else { return .rejected(.missingHeader(idHeader)) }
        guard !id.isEmpty else { return .rejected(.malformedHeader(idHeader, "the message id is empty")) }
        guard let timestamp = headers.first(timestampHeader) else {
            return .rejected(.missingHeader(timestampHeader))
        }
        if let rejection = window.check(timestamp, header: timestampHeader) { return .rejected(rejection) }

        // First the list's shape, so a malformed one is refused before any MAC is computed.
        var entries = 0
        var candidates = 0
        var malformed = false
        headers.forEachValue(forName: signatureHeader) { value in
            Self.forEachEntry(in: value) { entry in
                entries += 1
                switch Self.signature(in: entry) {
                case .malformed: malformed = true
                case .v1: candidates += 1
                case .otherVersion: break
                }
                return !malformed
            }
        }
        guard !malformed else {
            return .rejected(.malformedHeader(signatureHeader, "expected entries like v1,<base64 signature>"))
        }
        guard entries > 0 else {
            return .rejected(.malformedHeader(signatureHeader, "the signature list is empty"))
        }
        guard candidates > 0 else {
            return .rejected(.malformedHeader(signatureHeader, "no v1 signature in the list"))
        }

        // The MAC over "{id}.{timestamp}." + body, fed in pieces; each candidate is decoded into
        // a stack buffer and compared there. Every candidate is compared, so timing does not
        // reveal which one matched. Nothing here allocates.
        let trimmed = timestamp.trimmingWhitespace()
        return withUnsafeTemporaryAllocation(byteCount: 64, alignment: 1) { scratch -> SignatureVerdict in
            for (index, key) in keys.enumerated() {
                let matched: Bool
                do {
                    matched = try key.withAuthenticationCode(
                        of: { input in
                            input.update(id)
                            input.update(".")
                            input.update(trimmed)
                            input.update(".")
                            input.update(body)
                        },
                        { expected in
                            var matched = false
                            headers.forEachValue(forName: signatureHeader) { value in
                                Self.forEachEntry(in: value) { entry in
                                    guard case .v1(let signature) = Self.signature(in: entry) else { return true }
                                    if let count = Base64.decode(bytes: signature, into: scratch),
                                        ConstantTime.equals(UnsafeRawBufferPointer(rebasing: scratch[..<count]), expected)
                                    {
                                        matched = true
                                    }
                                    return true
                                }
                            }
                            return matched
                        })
                } catch {
                    return .rejected(.internalFailure)
                }
                if matched { return .verified(secretIndex: index) }
            }
            return .rejected(.noMatchingSignature(signatureHeader, checked: candidates))
        }
    }

    /// Calls `body` with the bytes of each space- or tab-separated entry of a signature header
    /// value, until it returns false.
    private static func forEachEntry(in value: String, _ body: (UnsafeRawBufferPointer) -> Bool) {
        var value = value
        value.withUTF8 { bytes in
            let isSpace: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            var index = 0
            while index < bytes.count {
                while index < bytes.count, isSpace(bytes[index]) { index += 1 }
                guard index < bytes.count else { return }
                let start = index
                while index < bytes.count, !isSpace(bytes[index]) { index += 1 }
                guard body(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start..<index]))) else { return }
            }
        }
    }

    private enum Entry {
        case v1(UnsafeRawBufferPointer)
        /// v1a is asymmetric: not ours to check.
        case otherVersion
        /// No comma.
        case malformed
    }

    /// What an entry `<version>,<signature>` holds.
    private static func signature(in entry: UnsafeRawBufferPointer) -> Entry {
        guard let comma = entry.firstIndex(of: UInt8(ascii: ",")) else { return .malformed }
        guard comma == 2, entry[0] == UInt8(ascii: "v"), entry[1] == UInt8(ascii: "1") else { return .otherVersion }
        return .v1(UnsafeRawBufferPointer(rebasing: entry[(comma + 1)...]))
    }

    package func signatureHeaders(
        body: UnsafeRawBufferPointer,
        key: HMACKey,
        messageID: String,
        timestamp: Int64
    ) throws(HMACError) -> [HeaderField] {
        let mac = try key.authenticationCode(prefix: Array("\(messageID).\(timestamp).".utf8), message: body)
        return [
            HeaderField(name: "webhook-id", value: messageID),
            HeaderField(name: "webhook-timestamp", value: String(timestamp)),
            HeaderField(name: "webhook-signature", value: "v1,\(Base64.encode(mac))"),
        ]
    }
}
