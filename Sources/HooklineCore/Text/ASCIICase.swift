/// Comparison that ignores the case of ASCII letters only, on bytes: for HTTP header names and
/// sender event names, without lower-casing (and allocating) either side.
package enum ASCIICase {
    /// `byte` with an ASCII capital letter made small.
    static func lower(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    /// Whether `a` and `b` are the same bytes but for the case of ASCII letters.
    package static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        for index in 0..<a.count where a[index] != b[index] && lower(a[index]) != lower(b[index]) { return false }
        return true
    }

    /// `equal` of two texts' UTF-8 bytes.
    package static func equal(_ a: some StringProtocol, _ b: some StringProtocol) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        var a = Substring(a)
        var b = Substring(b)
        return a.withUTF8 { x in b.withUTF8 { y in equal(x, y) } }
    }

    /// `equal` of a text and a static name.
    package static func equal(_ a: some StringProtocol, _ b: StaticString) -> Bool {
        var a = Substring(a)
        return a.withUTF8 { x in b.withUTF8Buffer { y in equal(x, y) } }
    }
}
