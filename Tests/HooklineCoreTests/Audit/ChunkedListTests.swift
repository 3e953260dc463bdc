import HooklineCore
import Testing

@Suite("chunked list")
struct ChunkedListTests {
    @Test("appends and trims from the front across chunk boundaries, in order, like an array")
    func agreesWithArray() {
        var list = ChunkedList<Int>()
        var model: [Int] = []
        var random = SeededGenerator(seed: 14)
        let size = ChunkedList<Int>.chunkSize
        var next = 0
        for _ in 0..<400 {
            for _ in 0..<Int(random.next() % UInt64(size / 2)) {
                list.append(next)
                model.append(next)
                next += 1
            }
            let k = Int(random.next() % UInt64(size))
            list.removeFirst(k)
            model.removeFirst(min(k, model.count))
            #expect(list.count == model.count)
            #expect(list.first == model.first)
        }
        #expect(Array(list) == model)
        list.removeFirst(list.count + 5)
        #expect(list.isEmpty && list.first == nil && Array(list) == [])
        list.append(1)
        #expect(Array(list) == [1])
    }

    @Test("removeFirst(while:) stops at the first entry that does not match")
    func removeWhile() {
        var list = ChunkedList<Int>()
        for value in [1, 2, 9, 3, 4] { list.append(value) }
        list.removeFirst { $0 < 5 }
        #expect(Array(list) == [9, 3, 4])
    }
}
