import COpenSSL

/// A secret prepared once for HMAC with one digest, computed by the system OpenSSL.
///
/// The keyed `EVP_MAC_CTX` is built in `init` and only ever duplicated afterwards, so the
/// key schedule is paid once per secret and one key serves any number of threads at once.
package final class HMACKey: @unchecked Sendable {
    // @unchecked: `template` is written only in init; `EVP_MAC_CTX_dup` reads it without mutation.
    package let algorithm: HMACAlgorithm
    private let template: OpaquePointer

    /// The OSSL_PARAM key naming the digest, with a lifetime as long as the program's.
    private static var digestKey: UnsafePointer<CChar> {
        UnsafeRawPointer(("digest" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self)
    }

    /// Prepares `secret` for HMAC with `algorithm`.
    package init(algorithm: HMACAlgorithm, secret: some Collection<UInt8>) throws(HMACError) {
        let secretBytes = Array(secret)
        guard !secretBytes.isEmpty else { throw .emptyKey }
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else { throw .openSSL("EVP_MAC_fetch") }
        defer { EVP_MAC_free(mac) }
        guard let context = EVP_MAC_CTX_new(mac) else { throw .openSSL("EVP_MAC_CTX_new") }

        var digestName = Array(algorithm.openSSLName.utf8CString)
        let initialised = digestName.withUnsafeMutableBufferPointer { name in
            secretBytes.withUnsafeBufferPointer { key in
                // The parameter keeps its key's pointer until EVP_MAC_init reads it, so the key
                // must outlive this call: a StaticString's bytes live in the binary. (A string
                // literal bridged to a pointer is valid only during the construct call itself —
                // AddressSanitizer, under Fuzz/run.sh, caught EVP_MAC_init reading it freed.)
                var parameters = [
                    OSSL_PARAM_construct_utf8_string(Self.digestKey, name.baseAddress, 0),
                    OSSL_PARAM_construct_end(),
                ]
                return EVP_MAC_init(context, key.baseAddress, key.count, &parameters) == 1
            }
        }
        guard initialised else {
            EVP_MAC_CTX_free(context)
            throw .openSSL("EVP_MAC_init")
        }
        self.algorithm = algorithm
        self.template = context
    }

    /// Prepares the UTF-8 bytes of `secret`.
    package convenience init(algorithm: HMACAlgorithm, secret: String) throws(HMACError) {
        try self.init(algorithm: algorithm, secret: Array(secret.utf8))
    }

    deinit {
        EVP_MAC_CTX_free(template)
    }

    /// The MAC of `prefix` followed by `message`, as if they were one byte string.
    ///
    /// Schemes that sign `"{id}.{timestamp}." + body` pass the header part as `prefix` so the
    /// body is never copied.
    package func authenticationCode(
        prefix: [UInt8] = [],
        message: UnsafeRawBufferPointer
    ) throws(HMACError) -> [UInt8] {
        guard let context = EVP_MAC_CTX_dup(template) else { throw .openSSL("EVP_MAC_CTX_dup") }
        defer { EVP_MAC_CTX_free(context) }

        let prefixAdded = prefix.withUnsafeBufferPointer { bytes in
            bytes.isEmpty || EVP_MAC_update(context, bytes.baseAddress, bytes.count) == 1
        }
        guard prefixAdded else { throw .openSSL("EVP_MAC_update") }
        if let base = message.baseAddress, message.count > 0 {
            guard EVP_MAC_update(context, base.assumingMemoryBound(to: UInt8.self), message.count) == 1 else {
                throw .openSSL("EVP_MAC_update")
            }
        }

        var output = [UInt8](repeating: 0, count: algorithm.outputSize)
        var written = 0
        let finished = output.withUnsafeMutableBufferPointer { buffer in
            EVP_MAC_final(context, buffer.baseAddress, &written, buffer.count) == 1
        }
        guard finished, written == algorithm.outputSize else { throw .openSSL("EVP_MAC_final") }
        return output
    }

    /// The MAC of `prefix` followed by `message`.
    package func authenticationCode(prefix: [UInt8] = [], message: some Collection<UInt8>) throws(HMACError) -> [UInt8] {
        let bytes = Array(message)
        return try bytes.withUnsafeBytes { buffer in
            Result { () throws(HMACError) in try authenticationCode(prefix: prefix, message: buffer) }
        }.get()
    }
}
