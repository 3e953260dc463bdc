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
        do {
            return try HMACKey(algorithm: .sha256, secret: bytes)
        } catch {
            throw SignatureConfigurationError(setting: "secret", problem: error.description)
        }
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
        var family = Self.families[0]
        var signatureValues = headers.values(forName: family.signature)
        if signatureValues.isEmpty {
            let svix = headers.values(forName: Self.families[1].signature)
            if !svix.isEmpty {
                family = Self.families[1]
                signatureValues = svix
            }
        }
        let idHeader = family.id
        let timestampHeader = family.timestamp
        let signatureHeader = family.signature

        guard !signatureValues.isEmpty else { return .rejected(.missingHeader(signatureHeader)) }
        guard let id = headers.first(idHeader) else { return .rejected(.missingHeader(idHeader)) }
        guard !id.isEmpty else { return .rejected(.malformedHeader(idHeader, "the message id is empty")) }
        guard let timestamp = headers.first(timestampHeader) else {
            return .rejected(.missingHeader(timestampHeader))
        }
        if let rejection = window.check(timestamp, header: timestampHeader) { return .rejected(rejection) }

        var entries = 0
        var candidates: [[UInt8]?] = []
        for value in signatureValues {
            for entry in value.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                entries += 1
                guard let comma = entry.firstIndex(of: ",") else {
                    return .rejected(.malformedHeader(signatureHeader, "expected entries like v1,<base64 signature>"))
                }
                // Other versions (v1a is asymmetric) are not ours to check.
                guard entry[..<comma] == "v1" else { continue }
                candidates.append(Base64.decode(entry[entry.index(after: comma)...]))
            }
        }
        guard entries > 0 else {
            return .rejected(.malformedHeader(signatureHeader, "the signature list is empty"))
        }
        guard !candidates.isEmpty else {
            return .rejected(.malformedHeader(signatureHeader, "no v1 signature in the list"))
        }
        // "{id}.{timestamp}." as bytes, without building the String first.
        let trimmed = timestamp.trimmingWhitespace()
        var prefix: [UInt8] = []
        prefix.reserveCapacity(id.utf8.count + trimmed.utf8.count + 2)
        prefix.append(contentsOf: id.utf8)
        prefix.append(UInt8(ascii: "."))
        prefix.append(contentsOf: trimmed.utf8)
        prefix.append(UInt8(ascii: "."))
        return SignatureMatcher.verdict(
            candidates: candidates, header: signatureHeader, prefix: prefix, body: body, keys: keys)
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
