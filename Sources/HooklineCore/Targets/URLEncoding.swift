/// Percent-encoding for ids placed in URL paths and for form bodies.
enum URLEncoding {
    private static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
    private static let hex = Array("0123456789ABCDEF".utf8)

    /// One path segment: everything but unreserved characters is escaped (so an id can never add `/` or `?`).
    static func pathSegment(_ text: String) -> String {
        var output: [UInt8] = []
        for byte in text.utf8 {
            if unreserved.contains(byte) {
                output.append(byte)
            } else {
                output += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// `application/x-www-form-urlencoded` for `pairs`.
    static func form(_ pairs: [(String, String)]) -> [UInt8] {
        Array(pairs.map { "\(pathSegment($0.0))=\(pathSegment($0.1))" }.joined(separator: "&").utf8)
    }
}
