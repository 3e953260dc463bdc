import COpenSSL
import Synchronization

/// A secret prepared once for HMAC with one digest, computed by the system OpenSSL.
///
/// The keyed `EVP_MAC_CTX` is built in `init` and only ever duplicated afterwards, so the
/// key schedule is paid once per secret and one key serves any number of threads at once.
/// Contexts that finished a MAC are kept and re-initialised with the same key for the next
/// (`EVP_MAC_init` without a key), which spares a duplication's allocations per call.
package final class HMACKey: @unchecked Sendable {
    // @unchecked: `template` is written only in init; `EVP_MAC_CTX_dup` reads it without mutation.
    // A context in `spare` belongs to no thread until one takes it out, under the mutex.
    package let algorithm: HMACAlgorithm
    private let template: OpaquePointer
    /// Spare contexts, as their addresses (a pointer is not Sendable; the mutex makes it so).
    private let spare = Mutex<[UInt]>([])
    /// Contexts kept for reuse at most: one per thread that computes MACs at once is plenty.
    private static let spareLimit = 8

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
        for address in spare.withLock({ $0 }) { EVP_MAC_CTX_free(OpaquePointer(bitPattern: address)) }
    }

    /// A keyed context ready for a new MAC: a spare one, or a duplicate of the template.
    private func takeContext() throws(HMACError) -> OpaquePointer {
        if let address = spare.withLock({ $0.popLast() }), let context = OpaquePointer(bitPattern: address) { return context }
        guard let context = EVP_MAC_CTX_dup(template) else { throw .openSSL("EVP_MAC_CTX_dup") }
        return context
    }

    /// Keeps `context` for the next MAC once it is reset to the key, or frees it.
    private func giveBack(_ context: OpaquePointer) {
        guard EVP_MAC_init(context, nil, 0, nil) == 1 else {
            EVP_MAC_CTX_free(context)
            return
        }
        let address = UInt(bitPattern: context)
        let kept = spare.withLock { spare -> Bool in
            guard spare.count < Self.spareLimit else { return false }
            if spare.capacity == 0 { spare.reserveCapacity(Self.spareLimit) }
            spare.append(address)
            return true
        }
        if !kept { EVP_MAC_CTX_free(context) }
    }

    /// The MAC of `prefix` followed by `message`, as if they were one byte string.
    ///
    /// Schemes that sign `"{id}.{timestamp}." + body` pass the header part as `prefix` so the
    /// body is never copied.
    package func authenticationCode(
        prefix: [UInt8] = [],
        message: UnsafeRawBufferPointer
    ) throws(HMACError) -> [UInt8] {
        try withAuthenticationCode(prefix: prefix, message: message) { [UInt8]($0) }
    }

    /// Calls `body` with the MAC of `prefix` followed by `message`, computed into a buffer on
    /// the stack: nothing is allocated on the heap for it.
    package func withAuthenticationCode<Result>(
        prefix: [UInt8] = [],
        message: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) -> Result
    ) throws(HMACError) -> Result {
        try withAuthenticationCode(
            of: { input in
                prefix.withUnsafeBytes { input.update($0) }
                input.update(message)
            }, body)
    }

    /// Calls `body` with the MAC of the bytes `feed` gives its input, in order (a signed
    /// `"{id}.{timestamp}." + body` fed in pieces, with no buffer joining them).
    package func withAuthenticationCode<Result>(
        of feed: (inout HMACInput) -> Void,
        _ body: (UnsafeRawBufferPointer) -> Result
    ) throws(HMACError) -> Result {
        let context = try takeContext()
        var reusable = false
        defer { reusable ? giveBack(context) : EVP_MAC_CTX_free(context) }

        var input = HMACInput(context: context)
        feed(&input)
        guard input.succeeded else { throw .openSSL("EVP_MAC_update") }
        let size = algorithm.outputSize
        return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer throws(HMACError) -> Result in
            var written = 0
            guard size <= buffer.count, EVP_MAC_final(context, buffer.baseAddress, &written, buffer.count) == 1, written == size else {
                throw .openSSL("EVP_MAC_final")
            }
            reusable = true
            return body(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: buffer[..<size])))
        }
    }

    /// The MAC of `prefix` followed by `message`.
    package func authenticationCode(prefix: [UInt8] = [], message: some Collection<UInt8>) throws(HMACError) -> [UInt8] {
        let bytes = Array(message)
        return try bytes.withUnsafeBytes { buffer in
            Result { () throws(HMACError) in try authenticationCode(prefix: prefix, message: buffer) }
        }.get()
    }
}

/// The bytes going into one MAC, added in pieces.
package struct HMACInput {
    fileprivate let context: OpaquePointer
    /// False once OpenSSL refused an update; the MAC is then not computed.
    fileprivate private(set) var succeeded = true

    fileprivate init(context: OpaquePointer) { self.context = context }

    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard succeeded, let base = bytes.baseAddress, bytes.count > 0 else { return }
        succeeded = EVP_MAC_update(context, base.assumingMemoryBound(to: UInt8.self), bytes.count) == 1
    }

    /// Adds the UTF-8 bytes of `text`.
    package mutating func update(_ text: some StringProtocol) {
        var text = Substring(text)
        text.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }
}
