import HooklineCore
import Synchronization
import SystemPackage

/// One audit log file's line index, beside it as `.<file>.idx` (`AuditIndexer.indexPath`): which lines (by byte offset) hold
/// an event, a contact's openings, a message (`IndexKey`). It is derived from the log and can
/// always be rebuilt from it; nothing is lost when it is.
///
/// Layout: a 16-byte header (`HLIDX001`, the log file's inode), then blocks. A block is a
/// 32-byte head (`HLBLOCK1`, entry count, FNV-1a checksum of the entries, the log range
/// `[from, to)` it covers) and its entries, 16 bytes each (key, offset; little-endian), sorted.
/// Blocks cover the log in order, without gaps: the log past the last block's `to` is not
/// indexed yet, and readers scan it. A finished index (an archive's, which no longer grows)
/// ends with a 16-byte trailer (`HLDONE01`, the covered end).
///
/// Lookups binary-search each block with `pread`: nothing but the block list is held in memory.
package final class AuditIndexFile: Sendable {
    struct Block: Sendable, Hashable {
        var from: Int64
        var to: Int64
        var entriesAt: Int64
        var count: Int
    }

    static let headerSize = 16
    static let blockHeadSize = 32
    static let entrySize = 16
    static let headerMagic = Array("HLIDX001".utf8)
    static let blockMagic = Array("HLBLOCK1".utf8)
    static let doneMagic = Array("HLDONE01".utf8)

    let path: String
    let descriptor: FileDescriptor
    let blocks: [Block]
    let finished: Bool

    private init(path: String, descriptor: FileDescriptor, blocks: [Block], finished: Bool) {
        self.path = path
        self.descriptor = descriptor
        self.blocks = blocks
        self.finished = finished
    }

    deinit { SystemCalls.closeAfterReading(descriptor) }

    /// Where the log is indexed up to.
    package var coveredEnd: Int64 { blocks.last?.to ?? 0 }

    /// Opens the index at `path` of the log file with `inode`: its blocks, checked (each block's
    /// checksum when `verify`), up to the first one that is not whole. Nil when there is none,
    /// or it is of another file.
    static func open(_ path: String, inode: UInt64, verify: Bool) -> (file: AuditIndexFile, validBytes: Int64)? {
        guard SystemCalls.exists(path), let descriptor = try? SystemCalls.open(path, .readOnly, operation: "read the index") else { return nil }
        guard let size = try? SystemCalls.status(descriptor, path: path).size, size >= Int64(headerSize),
            let header = try? read(descriptor, at: 0, count: headerSize), Array(header[0..<8]) == headerMagic,
            UInt64(littleEndian: header, at: 8) == inode
        else {
            SystemCalls.closeAfterReading(descriptor)
            return nil
        }
        var blocks: [Block] = []
        var at = Int64(headerSize)
        var finished = false
        while at + Int64(blockHeadSize) <= size || (at + 16 <= size) {
            guard let head = try? read(descriptor, at: at, count: min(blockHeadSize, Int(size - at))) else { break }
            if head.count >= 16, Array(head[0..<8]) == doneMagic, UInt64(littleEndian: head, at: 8) == UInt64(blocks.last?.to ?? 0) {
                finished = true
                at += 16
                break
            }
            guard head.count == blockHeadSize, Array(head[0..<8]) == blockMagic else { break }
            let count = Int(UInt32(littleEndian: head, at: 8))
            let checksum = UInt32(littleEndian: head, at: 12)
            // Read as written; a damaged head reads as nonsense, which ends the valid part.
            guard let from = Int64(exactly: UInt64(littleEndian: head, at: 16)), let to = Int64(exactly: UInt64(littleEndian: head, at: 24)) else { break }
            let entriesAt = at + Int64(blockHeadSize)
            let end = entriesAt + Int64(count) * Int64(entrySize)
            guard end <= size, from == (blocks.last?.to ?? 0), to >= from else { break }
            if verify {
                guard let entries = try? read(descriptor, at: entriesAt, count: count * entrySize), checksum32(entries) == checksum else { break }
            }
            blocks.append(Block(from: from, to: to, entriesAt: entriesAt, count: count))
            at = end
        }
        return (AuditIndexFile(path: path, descriptor: descriptor, blocks: blocks, finished: finished), at)
    }

    /// The offsets of the lines under `key`, in the log's order.
    func offsets(of key: UInt64) -> [Int64] {
        var found: [Int64] = []
        var entry = [UInt8](repeating: 0, count: Self.entrySize)
        for block in blocks where block.count > 0 {
            // The first entry whose key is not below `key`.
            var low = 0
            var high = block.count
            while low < high {
                let middle = (low + high) / 2
                guard (try? Self.read(descriptor, at: block.entriesAt + Int64(middle * Self.entrySize), into: &entry)) == true else { return found }
                if UInt64(littleEndian: entry, at: 0) < key { low = middle + 1 } else { high = middle }
            }
            var index = low
            while index < block.count {
                guard (try? Self.read(descriptor, at: block.entriesAt + Int64(index * Self.entrySize), into: &entry)) == true,
                    UInt64(littleEndian: entry, at: 0) == key
                else { break }
                if let offset = Int64(exactly: UInt64(littleEndian: entry, at: 8)) { found.append(offset) }
                index += 1
            }
        }
        return found.sorted()
    }

    // MARK: Writing

    /// A new, empty index for the log file with `inode`, replacing whatever was at `path`.
    static func create(_ path: String, inode: UInt64) throws(FileError) {
        let temporary = path + ".new"
        let descriptor = try SystemCalls.open(temporary, .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite, .groupRead], operation: "write the index")
        var header = headerMagic
        header.append(littleEndian: inode)
        do {
            try SystemCalls.writeAll(header, to: descriptor, path: temporary, operation: "write the index")
            try SystemCalls.close(descriptor, path: temporary)
        } catch {
            SystemCalls.closeAfterReading(descriptor)
            throw error
        }
        try SystemCalls.rename(temporary, to: path)
    }

    /// Appends a block of `entries` (key, offset) covering `[from, to)` at `at` (the end of the
    /// valid part: anything after it is cut off first).
    static func appendBlock(_ path: String, at: Int64, entries: [(UInt64, Int64)], from: Int64, to: Int64) throws(FileError) -> Int64 {
        let sorted = entries.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        var body: [UInt8] = []
        body.reserveCapacity(sorted.count * entrySize)
        for (key, offset) in sorted {
            body.append(littleEndian: key)
            body.append(littleEndian: UInt64(offset))
        }
        var head = blockMagic
        head.append(littleEndian: UInt32(sorted.count))
        head.append(littleEndian: checksum32(body))
        head.append(littleEndian: UInt64(from))
        head.append(littleEndian: UInt64(to))
        return try write(head + body, to: path, at: at)
    }

    /// Appends a block of `count` entries that `next` gives already sorted, written a buffer at
    /// a time (a merge: nothing but the buffer in memory).
    static func appendBlock(
        _ path: String, at: Int64, count: Int, from: Int64, to: Int64, _ next: () -> (UInt64, Int64)?
    ) throws(FileError) -> Int64 {
        let descriptor = try SystemCalls.open(path, .writeOnly, operation: "write the index")
        do throws(FileError) {
            try SystemCalls.truncate(descriptor, to: at, path: path)
            var checksum: UInt32 = 0x811c_9dc5
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 16)
            var position = at + Int64(blockHeadSize)
            var written = 0
            func flush() throws(FileError) {
                guard !buffer.isEmpty else { return }
                do {
                    _ = try descriptor.writeAll(toAbsoluteOffset: position, buffer)
                } catch {
                    throw FileError(path: path, operation: "write the index", error)
                }
                position += Int64(buffer.count)
                buffer.removeAll(keepingCapacity: true)
            }
            while written < count, let (key, offset) = next() {
                let start = buffer.count
                buffer.append(littleEndian: key)
                buffer.append(littleEndian: UInt64(offset))
                for byte in buffer[start...] { checksum = (checksum ^ UInt32(byte)) &* 0x0100_0193 }
                written += 1
                if buffer.count >= 1 << 16 { try flush() }
            }
            try flush()
            var head = blockMagic
            head.append(littleEndian: UInt32(written))
            head.append(littleEndian: checksum)
            head.append(littleEndian: UInt64(from))
            head.append(littleEndian: UInt64(to))
            do {
                _ = try descriptor.writeAll(toAbsoluteOffset: at, head)
            } catch {
                throw FileError(path: path, operation: "write the index", error)
            }
            try SystemCalls.close(descriptor, path: path)
            return position
        } catch {
            SystemCalls.closeAfterReading(descriptor)
            throw error
        }
    }

    /// Marks the index finished: its log no longer grows.
    static func finish(_ path: String, at: Int64, coveredEnd: Int64) throws(FileError) -> Int64 {
        var trailer = doneMagic
        trailer.append(littleEndian: UInt64(coveredEnd))
        return try write(trailer, to: path, at: at)
    }

    private static func write(_ bytes: [UInt8], to path: String, at: Int64) throws(FileError) -> Int64 {
        let descriptor = try SystemCalls.open(path, .writeOnly, operation: "write the index")
        do throws(FileError) {
            try SystemCalls.truncate(descriptor, to: at, path: path)
            do {
                _ = try descriptor.writeAll(toAbsoluteOffset: at, bytes)
            } catch {
                throw FileError(path: path, operation: "write the index", error)
            }
            try SystemCalls.close(descriptor, path: path)
        } catch {
            SystemCalls.closeAfterReading(descriptor)
            throw error
        }
        return at + Int64(bytes.count)
    }

    // MARK: Bytes

    static func read(_ descriptor: FileDescriptor, at offset: Int64, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard try read(descriptor, at: offset, into: &bytes) else { throw FileError(path: "index", operation: "read", reason: "short read") }
        return bytes
    }

    /// Fills `bytes` from `offset`; false when the file ends first.
    static func read(_ descriptor: FileDescriptor, at offset: Int64, into bytes: inout [UInt8]) throws -> Bool {
        var filled = 0
        while filled < bytes.count {
            let count = try bytes.withUnsafeMutableBytes { buffer in
                try descriptor.read(fromAbsoluteOffset: offset + Int64(filled), into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            }
            if count == 0 { return false }
            filled += count
        }
        return true
    }

    /// FNV-1a, 32 bits: catches a block cut short or zeroed by a crash.
    static func checksum32(_ bytes: [UInt8]) -> UInt32 {
        var value: UInt32 = 0x811c_9dc5
        for byte in bytes { value = (value ^ UInt32(byte)) &* 0x0100_0193 }
        return value
    }
}

extension UInt64 {
    fileprivate init(littleEndian bytes: [UInt8], at index: Int) {
        var value: UInt64 = 0
        for shift in 0..<8 { value |= UInt64(bytes[index + shift]) << (8 * shift) }
        self = value
    }
}

extension UInt32 {
    fileprivate init(littleEndian bytes: [UInt8], at index: Int) {
        var value: UInt32 = 0
        for shift in 0..<4 { value |= UInt32(bytes[index + shift]) << (8 * shift) }
        self = value
    }
}

extension [UInt8] {
    fileprivate mutating func append(littleEndian value: UInt64) {
        for shift in 0..<8 { append(UInt8(truncatingIfNeeded: value >> (8 * shift))) }
    }

    fileprivate mutating func append(littleEndian value: UInt32) {
        for shift in 0..<4 { append(UInt8(truncatingIfNeeded: value >> (8 * shift))) }
    }
}
