import HooklineCore
import Testing

@Suite("hex and base64")
struct EncodingTests {
    @Test("hex round-trips every byte and accepts upper case")
    func hexRoundTrip() {
        let all = Array(UInt8.min...UInt8.max)
        #expect(Hex.decode(Hex.encode(all)) == all)
        #expect(Hex.decode("DEADbeef") == [0xde, 0xad, 0xbe, 0xef])
    }

    @Test("hex with an odd length or a non-hex digit is refused", arguments: ["abc", "zz", "0x12", " 12"])
    func hexRejects(text: String) {
        #expect(Hex.decode(text) == nil)
    }

    @Test("base64 matches RFC 4648's examples")
    func base64Vectors() {
        let cases = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in cases {
            #expect(Base64.encode(bytes(plain)) == encoded)
            #expect(Base64.decode(encoded) == bytes(plain))
        }
    }

    @Test("base64 without padding decodes")
    func base64Unpadded() {
        #expect(Base64.decode("Zm9vYg") == bytes("foob"))
    }

    @Test("malformed base64 is refused", arguments: ["Zm9v!", "Z", "Zm9vY===", "Zh==", "Zm=9"])
    func base64Rejects(text: String) {
        #expect(Base64.decode(text) == nil)
    }
}
