import CHDF5
import Glibc

/// Writing side of the HDF5 layer: a new file, and the few kinds of object a Keras model file is
/// made of (nested groups, string attributes, float32 datasets). Objects are named by their path
/// from the root; every handle is opened and closed inside the call that needs it, and each close
/// is checked, so that a write that fails anywhere is reported. Every call must be made inside
/// ``withHDF5(_:)``.
///
/// The file is built in memory and handed out as bytes (``fileImage()``), for the caller to
/// write as it writes any other output (``AtomicFile``). HDF5 itself never writes to disk:
/// when its write fails part way (disk full, file-size limit), HDF5 1.10 cannot close the file,
/// and its exit handler then crashes on the half-closed file.
///
/// The file keeps the oldest formats that can hold it (superblock 0, as h5py writes by default),
/// so that HDF5 1.8 and 1.10 readers open it, and records no modification times, so that the
/// same content always gives the same bytes.
final class HDF5Writer {
    /// How a string attribute declares its characters. Keras (through h5py) stores Python `str`
    /// values as UTF-8 and `bytes` values as ASCII.
    enum TextEncoding {
        case ascii, utf8

        var characterSet: H5T_cset_t { self == .ascii ? H5T_CSET_ASCII : H5T_CSET_UTF8 }
    }

    private let file: hid_t

    /// Starts an empty file.
    init() throws(HDF5Failure) {
        let creation = try PropertyList(chdf5_p_file_create())
        let access = try PropertyList(chdf5_p_file_access())
        // The file-creation list carries the root group's settings. The in-memory driver grows
        // its buffer 64 KiB at a time and keeps no copy on disk.
        guard H5Pset_obj_track_times(creation.id, false) >= 0,
            H5Pset_libver_bounds(access.id, H5F_LIBVER_EARLIEST, H5F_LIBVER_V18) >= 0,
            H5Pset_fapl_core(access.id, 64 * 1024, false) >= 0
        else { throw HDF5Failure("HDF5 could not set up the file's format") }
        // The name only labels the file in memory.
        file = H5Fcreate("recur-export.h5", chdf5_acc_trunc(), creation.id, access.id)
        guard file >= 0 else { throw HDF5Failure("HDF5 could not create the file") }
    }

    deinit {
        H5Fclose(file)
    }

    /// The bytes of the file as written so far: a complete HDF5 file.
    func fileImage() throws(HDF5Failure) -> [UInt8] {
        guard H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0 else { throw HDF5Failure("HDF5 could not finish the file") }
        let size = H5Fget_file_image(file, nil, 0)
        guard size > 0 else { throw HDF5Failure("HDF5 could not measure the file") }
        var bytes = [UInt8](repeating: 0, count: size)
        let copied = bytes.withUnsafeMutableBytes { H5Fget_file_image(file, $0.baseAddress, $0.count) }
        guard copied == size else { throw HDF5Failure("HDF5 could not copy the file") }
        return bytes
    }

    /// Creates the group at `path`, and any missing groups above it.
    func createGroup(_ path: String) throws(HDF5Failure) {
        let links = try linkCreation()
        let creation = try PropertyList(chdf5_p_group_create())
        guard H5Pset_obj_track_times(creation.id, false) >= 0 else { throw HDF5Failure("HDF5 could not set up group '\(path)'") }
        try scoped(H5Gcreate2(file, path, links.id, creation.id, chdf5_p_default()), H5Gclose, "HDF5 could not create group '\(path)'") { _ in }
    }

    /// A scalar variable-length string attribute, as h5py writes a Python `str` or `bytes`.
    func setAttribute(_ name: String, string: String, encoding: TextEncoding, on path: String = "/") throws(HDF5Failure) {
        try scoped(H5Screate(H5S_SCALAR), H5Sclose, "HDF5 could not make a scalar shape") { space throws(HDF5Failure) in
            try writeStrings([string], name: name, encoding: encoding, space: space, on: path)
        }
    }

    /// A 1-D attribute of variable-length strings, as h5py writes a list of `bytes`.
    func setAttribute(_ name: String, strings: [String], encoding: TextEncoding, on path: String = "/") throws(HDF5Failure) {
        try scoped(simpleSpace([strings.count]), H5Sclose, "HDF5 could not make the shape of '\(name)'") { space throws(HDF5Failure) in
            try writeStrings(strings, name: name, encoding: encoding, space: space, on: path)
        }
    }

    /// An empty list attribute as h5py writes `[]`: a float64 array of length zero (what Keras
    /// stores as the `weight_names` of a layer without weights).
    func setEmptyListAttribute(_ name: String, on path: String) throws(HDF5Failure) {
        try scoped(simpleSpace([0]), H5Sclose, "HDF5 could not make an empty shape") { space throws(HDF5Failure) in
            try createAttribute(name, type: chdf5_ieee_f64le(), space: space, on: path) { _ throws(HDF5Failure) in }
        }
    }

    /// A little-endian float32 dataset of any shape (`[]` is a scalar), contiguous and
    /// unfiltered, at `path`; missing groups above it are created. `values` holds the elements
    /// in row-major order.
    func writeDataset(_ path: String, shape: [Int], values: UnsafeBufferPointer<Float>) throws(HDF5Failure) {
        precondition(shape.allSatisfy { $0 >= 0 } && values.count == shape.reduce(1, *), "the values do not fill the shape")
        let links = try linkCreation()
        let creation = try PropertyList(chdf5_p_dataset_create())
        guard H5Pset_obj_track_times(creation.id, false) >= 0 else { throw HDF5Failure("HDF5 could not set up dataset '\(path)'") }
        let space = shape.isEmpty ? H5Screate(H5S_SCALAR) : simpleSpace(shape)
        try scoped(space, H5Sclose, "HDF5 could not make the shape of '\(path)'") { space throws(HDF5Failure) in
            let dataset = H5Dcreate2(file, path, chdf5_ieee_f32le(), space, links.id, creation.id, chdf5_p_default())
            try scoped(dataset, H5Dclose, "HDF5 could not create dataset '\(path)'") { dataset throws(HDF5Failure) in
                guard values.isEmpty
                    || H5Dwrite(dataset, chdf5_native_float(), chdf5_s_all(), chdf5_s_all(), chdf5_p_default(), values.baseAddress) >= 0
                else { throw HDF5Failure("HDF5 could not write dataset '\(path)'") }
            }
        }
    }

    // MARK: - Handles

    /// Runs `body` with a new handle `id`, then closes it. A failed close is an error (closing a
    /// dataset writes its buffered values); when `body` throws, the handle is still closed.
    private func scoped<R>(
        _ id: hid_t, _ close: (hid_t) -> herr_t, _ what: @autoclosure () -> String,
        _ body: (hid_t) throws(HDF5Failure) -> R
    ) throws(HDF5Failure) -> R {
        guard id >= 0 else { throw HDF5Failure(what()) }
        let result: R
        do throws(HDF5Failure) { result = try body(id) } catch {
            _ = close(id)
            throw error
        }
        guard close(id) >= 0 else { throw HDF5Failure(what() + " (closing failed)") }
        return result
    }

    private func simpleSpace(_ shape: [Int]) -> hid_t {
        let dims = shape.map { hsize_t($0) }
        return H5Screate_simple(Int32(dims.count), dims, nil)
    }

    /// Link creation that makes missing intermediate groups and names links in UTF-8.
    private func linkCreation() throws(HDF5Failure) -> PropertyList {
        let links = try PropertyList(chdf5_p_link_create())
        guard H5Pset_create_intermediate_group(links.id, 1) >= 0, H5Pset_char_encoding(links.id, H5T_CSET_UTF8) >= 0 else {
            throw HDF5Failure("HDF5 could not set up link creation")
        }
        return links
    }

    private func createAttribute(
        _ name: String, type: hid_t, space: hid_t, on path: String, _ write: (hid_t) throws(HDF5Failure) -> Void
    ) throws(HDF5Failure) {
        try scoped(H5Oopen(file, path, chdf5_p_default()), H5Oclose, "HDF5 could not open '\(path)'") { object throws(HDF5Failure) in
            let attribute = H5Acreate2(object, name, type, space, chdf5_p_default(), chdf5_p_default())
            try scoped(attribute, H5Aclose, "HDF5 could not create attribute '\(name)' on '\(path)'", write)
        }
    }

    private func writeStrings(_ strings: [String], name: String, encoding: TextEncoding, space: hid_t, on path: String) throws(HDF5Failure) {
        try scoped(H5Tcopy(chdf5_c_s1()), H5Tclose, "HDF5 could not make a string type") { type throws(HDF5Failure) in
            guard H5Tset_size(type, chdf5_variable()) >= 0, H5Tset_cset(type, encoding.characterSet) >= 0,
                H5Tset_strpad(type, H5T_STR_NULLTERM) >= 0
            else { throw HDF5Failure("HDF5 could not make a string type") }
            try createAttribute(name, type: type, space: space, on: path) { attribute throws(HDF5Failure) in
                // A variable-length string in memory is a pointer to a NUL-terminated string.
                let copies = strings.map { strdup($0) }
                defer { copies.forEach { free($0) } }
                guard !strings.isEmpty else { return }
                var pointers = copies.map { UnsafePointer($0) }
                guard H5Awrite(attribute, type, &pointers) >= 0 else {
                    throw HDF5Failure("HDF5 could not write attribute '\(name)' on '\(path)'")
                }
            }
        }
    }
}

/// An HDF5 property list, closed when released.
private struct PropertyList: ~Copyable {
    let id: hid_t

    init(_ listClass: hid_t) throws(HDF5Failure) {
        id = H5Pcreate(listClass)
        guard id >= 0 else { throw HDF5Failure("HDF5 could not create a property list") }
    }

    deinit { H5Pclose(id) }
}
