import CHDF5
import Glibc
import Synchronization

/// A failed HDF5 call, described in words (the library's own error stack is silenced), or a
/// file refused for what it holds.
struct HDF5Failure: Error, CustomStringConvertible {
    let description: String
    /// Whether the file is damaged; false for a sound file recur refuses (``description`` then
    /// says why, as a predicate).
    var isDamage = true
    init(_ description: String) { self.description = description }

    /// The sentence about `subject` (the file, or an archive's member).
    func sentence(about subject: String) -> String {
        isDamage ? "\(subject) is damaged: \(description)" : "\(subject) \(description)"
    }
}

/// The serial HDF5 library is not thread-safe: every use goes through this lock.
let hdf5Lock = Mutex<Void>(())

/// Runs `body` with exclusive use of the HDF5 library, which is initialised once and told not to
/// print its error stack (errors become Swift errors instead).
func withHDF5<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
    try hdf5Lock.withLock { _ throws(E) -> R in
        _ = hdf5Initialized
        return try body()
    }
}

private let hdf5Initialized: Bool = {
    H5open()
    _ = chdf5_silence_errors()
    _ = chdf5_disable_plugins()
    return true
}()

/// An open HDF5 identifier, closed with the function that matches its kind.
final class H5Object {
    enum Kind { case file, group, dataset, attribute, datatype, dataspace, object, propertyList }
    let id: hid_t
    let kind: Kind

    init(_ id: hid_t, _ kind: Kind, _ what: @autoclosure () -> String) throws(HDF5Failure) {
        guard id >= 0 else { throw HDF5Failure(what()) }
        self.id = id
        self.kind = kind
    }

    deinit {
        switch kind {
        case .file: H5Fclose(id)
        case .group: H5Gclose(id)
        case .dataset: H5Dclose(id)
        case .attribute: H5Aclose(id)
        case .datatype: H5Tclose(id)
        case .dataspace: H5Sclose(id)
        case .object: H5Oclose(id)
        case .propertyList: H5Pclose(id)
        }
    }
}

/// The class of an HDF5 datatype, reduced to what recur distinguishes.
enum H5ValueClass {
    case float, integer, string, other
}

/// Reading side of the HDF5 layer: a file opened read-only, and the few operations that reading
/// a Keras file needs. Every call must be made inside ``withHDF5(_:)``.
final class HDF5Reader {
    let file: H5Object

    /// Opens a file that HDF5 recognises (and that passes ``GlobalHeapCheck``).
    init(path: String) throws(HDF5Failure) {
        if let problem = GlobalHeapCheck.problem(inFileAt: path) { throw HDF5Failure(problem) }
        file = try H5Object(H5Fopen(path, chdf5_acc_rdonly(), chdf5_p_default()), .file, "HDF5 could not open it")
        try checkSelfContained()
    }

    /// Opens a file image held in memory (the weights inside a `.keras` archive).
    init(image: [UInt8]) throws(HDF5Failure) {
        if let problem = image.withUnsafeBytes({ GlobalHeapCheck.problem(in: $0) }) { throw HDF5Failure(problem) }
        let access = try H5Object(H5Pcreate(chdf5_p_file_access()), .propertyList, "HDF5 could not create a property list")
        guard H5Pset_fapl_core(access.id, 64 * 1024, false) >= 0 else { throw HDF5Failure("HDF5 has no in-memory driver") }
        let status = image.withUnsafeBytes { bytes in
            H5Pset_file_image(access.id, UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        }
        guard status >= 0 else { throw HDF5Failure("HDF5 could not take the file image") }
        // The name is only a label for the in-memory driver.
        file = try H5Object(H5Fopen("model.weights.h5", chdf5_acc_rdonly(), access.id), .file, "HDF5 could not open the embedded file")
        try checkSelfContained()
    }

    /// Refuses a file that points outside itself (``chdf5_find_foreign_data``): an external
    /// link, external storage or a virtual dataset would make libhdf5 read other files, any
    /// file the process can read, into the model. Checked before any data is read.
    private func checkSelfContained() throws(HDF5Failure) {
        var path = [CChar](repeating: 0, count: 1024)
        let found = Int(chdf5_find_foreign_data(file.id, &path, path.count))
        let name = String(decoding: path.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let reason: String
        switch found {
        case CHDF5_SELF_CONTAINED: return
        case CHDF5_EXTERNAL_LINK: reason = "its link '\(name)' points into another file (an external link)"
        case CHDF5_USER_DEFINED_LINK: reason = "its link '\(name)' is of a user-defined kind"
        case CHDF5_EXTERNAL_STORAGE: reason = "its dataset '\(name)' keeps its values in other files (external storage)"
        case CHDF5_VIRTUAL_DATASET: reason = "its dataset '\(name)' maps its values from other datasets (a virtual dataset)"
        case CHDF5_TOO_MANY_LINKS: throw HDF5Failure("it holds more than \(chdf5_link_limit) links, more than any Keras model")
        default: throw HDF5Failure("HDF5 could not list its objects")
        }
        var failure = HDF5Failure("is not self-contained: \(reason); recur reads only the data a model file holds")
        failure.isDamage = false
        throw failure
    }

    /// Whether `path` names a link (group or dataset) under `base`, checking each component
    /// (HDF5 fails, rather than answering no, when an intermediate group is missing).
    func exists(_ path: String, in base: hid_t? = nil) -> Bool {
        let location = base ?? file.id
        var prefix = ""
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += prefix.isEmpty ? String(component) : "/" + component
            guard H5Lexists(location, prefix, chdf5_p_default()) > 0 else { return false }
        }
        return !prefix.isEmpty
    }

    func openGroup(_ path: String, in base: hid_t? = nil) throws(HDF5Failure) -> H5Object {
        try H5Object(H5Gopen2(base ?? file.id, path, chdf5_p_default()), .group, "it has no group '\(path)'")
    }

    func openDataset(_ path: String, in base: hid_t? = nil) throws(HDF5Failure) -> H5Object {
        try H5Object(H5Dopen2(base ?? file.id, path, chdf5_p_default()), .dataset, "it has no dataset '\(path)'")
    }

    /// Names of the links directly under a group, in creation or name order.
    func memberNames(of group: hid_t) throws(HDF5Failure) -> [String] {
        var info = H5G_info_t()
        guard H5Gget_info(group, &info) >= 0 else { throw HDF5Failure("HDF5 could not list a group") }
        var names: [String] = []
        for index in 0..<info.nlinks {
            let length = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, chdf5_p_default())
            guard length >= 0, length < 1 << 16 else { throw HDF5Failure("HDF5 could not read a link name") }
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            guard H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, chdf5_p_default()) >= 0 else {
                throw HDF5Failure("HDF5 could not read a link name")
            }
            names.append(String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return names
    }

    func hasAttribute(_ name: String, on object: hid_t) -> Bool {
        H5Aexists(object, name) > 0
    }

    /// A string attribute (scalar, variable- or fixed-length); nil when absent.
    func stringAttribute(_ name: String, on object: hid_t) throws(HDF5Failure) -> String? {
        guard hasAttribute(name, on: object) else { return nil }
        let strings = try stringsOfAttribute(name, on: object)
        guard strings.count == 1 else { throw HDF5Failure("attribute '\(name)' is not a single string") }
        return strings[0]
    }

    /// A string-array attribute. Keras writes an empty list as a float64 array, which reads as
    /// no strings; a list too long for one attribute is split into `name0`, `name1`, ….
    func stringArrayAttribute(_ name: String, on object: hid_t) throws(HDF5Failure) -> [String]? {
        if hasAttribute(name, on: object) { return try stringsOfAttribute(name, on: object) }
        var chunks: [String] = []
        var index = 0
        while hasAttribute("\(name)\(index)", on: object) {
            chunks += try stringsOfAttribute("\(name)\(index)", on: object)
            index += 1
        }
        return index > 0 ? chunks : nil
    }

    private func stringsOfAttribute(_ name: String, on object: hid_t) throws(HDF5Failure) -> [String] {
        let attribute = try H5Object(H5Aopen(object, name, chdf5_p_default()), .attribute, "HDF5 could not open attribute '\(name)'")
        let type = try H5Object(H5Aget_type(attribute.id), .datatype, "HDF5 could not read the type of '\(name)'")
        let space = try H5Object(H5Aget_space(attribute.id), .dataspace, "HDF5 could not read the shape of '\(name)'")
        let count = Int(H5Sget_simple_extent_npoints(space.id))
        guard count >= 0, count < 1 << 20 else { throw HDF5Failure("attribute '\(name)' has \(count) elements") }
        let typeClass = H5Tget_class(type.id)
        if typeClass != H5T_STRING {
            // An empty list written by h5py is a float64 array of length zero.
            if count == 0 { return [] }
            throw HDF5Failure("attribute '\(name)' holds numbers, not text")
        }
        if count == 0 { return [] }
        if H5Tis_variable_str(type.id) > 0 {
            let memory = try H5Object(H5Tcopy(chdf5_c_s1()), .datatype, "HDF5 could not make a string type")
            H5Tset_size(memory.id, chdf5_variable())
            H5Tset_cset(memory.id, H5Tget_cset(type.id))
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            guard H5Aread(attribute.id, memory.id, &pointers) >= 0 else { throw HDF5Failure("HDF5 could not read attribute '\(name)'") }
            defer { H5Dvlen_reclaim(memory.id, space.id, chdf5_p_default(), &pointers) }
            return pointers.map { $0.map { String(cString: $0) } ?? "" }
        }
        // Fixed length: keep the file's padding so that HDF5 does not overwrite the last byte
        // with a terminator, and allow one extra byte for it.
        let size = H5Tget_size(type.id)
        guard size > 0, size < 1 << 24, count * size < 1 << 26 else { throw HDF5Failure("attribute '\(name)' has an absurd size") }
        let memory = try H5Object(H5Tcopy(type.id), .datatype, "HDF5 could not copy a string type")
        var buffer = [UInt8](repeating: 0, count: count * size)
        guard H5Aread(attribute.id, memory.id, &buffer) >= 0 else { throw HDF5Failure("HDF5 could not read attribute '\(name)'") }
        return (0..<count).map { index in
            let bytes = buffer[index * size..<(index + 1) * size]
            let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
            var text = String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)
            // SPACEPAD strings (Fortran style) are padded with blanks.
            if H5Tget_strpad(type.id) == H5T_STR_SPACEPAD {
                while text.last == " " { text.removeLast() }
            }
            return text
        }
    }

    /// The dimensions of a dataset and the class of its values.
    func datasetInfo(_ dataset: H5Object) throws(HDF5Failure) -> (shape: [Int], valueClass: H5ValueClass, size: Int) {
        let space = try H5Object(H5Dget_space(dataset.id), .dataspace, "HDF5 could not read a dataset's shape")
        let rank = H5Sget_simple_extent_ndims(space.id)
        guard rank >= 0, rank <= 32 else { throw HDF5Failure("a dataset has rank \(rank)") }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        if rank > 0 { H5Sget_simple_extent_dims(space.id, &dims, nil) }
        let type = try H5Object(H5Dget_type(dataset.id), .datatype, "HDF5 could not read a dataset's type")
        let valueClass: H5ValueClass
        switch H5Tget_class(type.id) {
        case H5T_FLOAT: valueClass = .float
        case H5T_INTEGER: valueClass = .integer
        case H5T_STRING: valueClass = .string
        default: valueClass = .other
        }
        let shape = dims.map { $0 > UInt64(Int.max) ? Int.max : Int($0) }
        return (shape, valueClass, H5Tget_size(type.id))
    }

    /// Reads every value of a numeric dataset as float32 into `target` (HDF5 converts float64,
    /// float16 and integers). `count` must equal the dataset's element count.
    func readFloats(_ dataset: H5Object, into target: UnsafeMutablePointer<Float>, count: Int) throws(HDF5Failure) {
        guard H5Dread(dataset.id, chdf5_native_float(), chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), target) >= 0 else {
            throw HDF5Failure("HDF5 could not read its values")
        }
    }

    /// Reads a small numeric dataset (a fixture array or a scalar) as float64.
    func readDoubles(_ dataset: H5Object, count: Int) throws(HDF5Failure) -> [Double] {
        var values = [Double](repeating: 0, count: count)
        guard H5Dread(dataset.id, chdf5_native_double(), chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), &values) >= 0 else {
            throw HDF5Failure("HDF5 could not read its values")
        }
        return values
    }
}

/// Whether the file at `path` starts with the HDF5 signature (at offset 0 or a user block).
func isHDF5(path: String) -> Bool {
    withHDF5 { H5Fis_hdf5(path) > 0 }
}

/// A check of a file's bytes for what libhdf5 1.10 (Debian 12's) trusts without checking: the
/// global heap collections ("GCOL") that hold variable-length strings, such as h5py's
/// `model_config`, `layer_names` and `weight_names` attributes. In a collection whose free-space
/// object has size 0, `H5HG__cache_heap_deserialize` loops forever; an object whose size runs
/// past the end of its collection makes `H5HG_read` copy past the heap's buffer (a crash, or a
/// copy of terabytes); a collection smaller than its own header is read past its end; one
/// larger than the file is allocated whole. HDF5 1.14 checks these itself. Found by fuzzing
/// (tools/fuzz.sh h5); the failures are in Tests/RecurKerasTests/FuzzRegressionTests.swift.
///
/// The collections are found by their signature: every "GCOL" followed by version 1 is checked
/// the way libhdf5 walks it, wherever it is (libhdf5 reads one only at an address the file
/// gives, so a signature that happens to appear inside other data is checked needlessly, and a
/// valid file is refused only if such bytes also describe an impossible collection). What
/// libhdf5 does with the references into a collection (an object index of 0, or past the
/// table) is not checked: they are in the attributes' data, which only libhdf5 decodes; see
/// docs/fuzzing.md for that and the other failures of libhdf5 that recur cannot check for.
enum GlobalHeapCheck {
    /// H5HG_MINSIZE: libhdf5 never writes a smaller collection.
    static let minimumSize = 4096

    /// Why the file at `path` must not be given to libhdf5, or nil. A file that cannot be read or
    /// mapped is left to libhdf5, which reports it.
    static func problem(inFileAt path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG, status.st_size > 0 else { return nil }
        let length = Int(status.st_size)
        guard let base = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), base != UnsafeMutableRawPointer(bitPattern: -1) else {
            return nil
        }
        defer { munmap(base, length) }
        return problem(in: UnsafeRawBufferPointer(start: base, count: length))
    }

    /// Why an HDF5 file held in `bytes` must not be given to libhdf5, or nil.
    static func problem(in bytes: UnsafeRawBufferPointer) -> String? {
        guard let lengthSize = lengthSize(bytes), let base = bytes.baseAddress else { return nil }
        var offset = 0
        while offset + 8 + lengthSize <= bytes.count {
            guard let found = memchr(base + offset, 0x47, bytes.count - offset) else { break }  // "G"
            let start = base.distance(to: UnsafeRawPointer(found))
            offset = start + 1
            guard start + 8 + lengthSize <= bytes.count, bytes[start + 1] == 0x43, bytes[start + 2] == 0x4F,
                bytes[start + 3] == 0x4C, bytes[start + 4] == 1  // "COL", version 1
            else { continue }
            if let problem = collectionProblem(bytes, at: start, lengthSize: lengthSize) {
                return "its global heap at byte \(start) \(problem)"
            }
        }
        return nil
    }

    /// The walk of `H5HG__cache_heap_deserialize`, with the checks it lacks.
    static func collectionProblem(_ bytes: UnsafeRawBufferPointer, at start: Int, lengthSize: Int) -> String? {
        let headerSize = align8(8 + lengthSize)
        let objectHeaderSize = align8(8 + lengthSize)
        guard let size = decodeLength(bytes, at: start + 8, size: lengthSize) else { return "has an absurd size" }
        guard size >= minimumSize else { return "has size \(size), less than any HDF5 writes (\(minimumSize))" }
        guard size <= bytes.count - start else { return "has size \(size), past the end of the file" }
        let end = start + size
        var position = start + headerSize
        while position < end {
            // The last bytes, too few for an object header, are free space.
            if position + objectHeaderSize > end { break }
            let index = Int(bytes[position]) | Int(bytes[position + 1]) << 8
            guard let objectSize = decodeLength(bytes, at: position + 8, size: lengthSize) else {
                return "has an object of absurd size"
            }
            // Object 0 is the free space and its size includes its header; others are padded.
            let need = index == 0 ? objectSize : objectHeaderSize + align8(objectSize)
            guard need > 0 else { return "has an empty free-space object (libhdf5 would loop forever)" }
            guard need <= end - position else { return "has object \(index) of \(objectSize) bytes, past the end of the heap" }
            position += need
        }
        return nil
    }

    /// The superblock's "size of lengths", from the first superblock libhdf5 would find (at 0,
    /// 512, 1024, …); nil when there is none libhdf5 accepts (it then refuses the file itself).
    static func lengthSize(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        var at = 0
        while at + 16 <= bytes.count {
            if (0..<8).allSatisfy({ bytes[at + $0] == signature[$0] }) {
                let size: Int
                switch bytes[at + 8] {
                case 0, 1: size = Int(bytes[at + 14])
                case 2, 3: size = Int(bytes[at + 10])
                default: return nil
                }
                return [2, 4, 8, 16, 32].contains(size) ? size : nil
            }
            at = at == 0 ? 512 : at * 2
        }
        return nil
    }

    /// A little-endian length of `size` bytes, nil when it does not fit in 62 bits.
    static func decodeLength(_ bytes: UnsafeRawBufferPointer, at offset: Int, size: Int) -> Int? {
        guard offset + size <= bytes.count else { return nil }
        var value: UInt64 = 0
        for index in 0..<size {
            let byte = UInt64(bytes[offset + index])
            if index >= 8 {
                guard byte == 0 else { return nil }
            } else {
                value |= byte << (8 * UInt64(index))
            }
        }
        return value < 1 << 62 ? Int(value) : nil
    }

    static func align8(_ value: Int) -> Int { (value + 7) & ~7 }
}
