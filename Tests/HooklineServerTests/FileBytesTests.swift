import HooklineServer
import Testing

@Suite("reading files")
struct FileBytesTests {
    @Test("a missing file is an error naming the path and the reason")
    func missingFile() {
        #expect(throws: FileError(path: "/nonexistent/x.json", operation: "read", reason: "no such file or directory")) {
            try FileBytes.read("/nonexistent/x.json")
        }
    }
}
