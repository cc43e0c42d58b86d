/// Where Keras 3 keeps weights in a `.weights.h5` file and in the `model.weights.h5` of a
/// `.keras` archive (`docs/keras-hdf5-format.md` §6), following `keras/src/saving/saving_lib.py`:
///
/// * `_save_state` walks the model: each object that can save state gets a group, and its own
///   variables are the datasets `vars/0`, `vars/1`, … of that group, in the order of
///   `_trainable_variables + _non_trainable_variables`.
/// * A Sequential or Functional model's layers are the list `layers`; in a list
///   (`_save_container_state`) an object is named after its class, `naming.to_snake_case`, made
///   unique in list order by `_get_unique_name` (`dense`, `dense_1`, …): never by the layer's own
///   name, which Keras does not consider reproducible.
/// * Inside a layer, each attribute that is itself a saveable object gets a group named after
///   the attribute: an RNN's `cell` (which owns the RNN's variables), a Bidirectional's
///   `forward_layer` and `backward_layer`, a TimeDistributed's `layer`.
///
/// tf_keras (Keras 2.13 and later) writes the same layout, plus a group for a Bidirectional's
/// template layer (`layer`), and needs the `vars` group of every object it visits to exist.
enum KerasV3Layout {
    /// The group under which the layers are listed. Keras 2.13 named it
    /// `_layer_checkpoint_dependencies`, which Keras 3 still reads.
    static let layerRoots = ["layers", "_layer_checkpoint_dependencies"]

    /// Keras's `naming.to_snake_case`: non-word characters removed, `_` before each capitalised
    /// word and between a lower-case letter and a capital, then lower case
    /// (`SimpleRNN` → `simple_rnn`, `Conv1D` → `conv1d`, `TimeDistributed` → `time_distributed`).
    static func snakeCase(_ className: String) -> String {
        let word = Array(className.unicodeScalars.filter { $0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "_" })
        func isUpper(_ c: Unicode.Scalar) -> Bool { c >= "A" && c <= "Z" }
        func isLower(_ c: Unicode.Scalar) -> Bool { c >= "a" && c <= "z" }
        // re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name): scanned left to right, matches do not overlap.
        var first: [Unicode.Scalar] = []
        var index = 0
        while index < word.count {
            if index + 2 < word.count, isUpper(word[index + 1]), isLower(word[index + 2]) {
                var end = index + 3
                while end < word.count, isLower(word[end]) { end += 1 }
                first.append(word[index])
                first.append("_")
                first += word[index + 1..<end]
                index = end
            } else {
                first.append(word[index])
                index += 1
            }
        }
        // re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
        var second = ""
        index = 0
        while index < first.count {
            if index + 1 < first.count, isLower(first[index]), isUpper(first[index + 1]) {
                second.unicodeScalars.append(first[index])
                second += "_"
                second.unicodeScalars.append(first[index + 1])
                index += 2
            } else {
                second.unicodeScalars.append(first[index])
                index += 1
            }
        }
        return second.lowercased()
    }

    /// The group name of each layer of a model, given the layers' classes in `model.layers`
    /// order.
    static func keys(classNames: [String]) -> [String] {
        var used: [String: Int] = [:]
        return classNames.map { className in
            let base = snakeCase(className)
            guard let count = used[base] else {
                used[base] = 0
                return base
            }
            used[base] = count + 1
            return "\(base)_\(count + 1)"
        }
    }

    /// The objects Keras saves for a layer of class `className`, as paths of their `vars` groups
    /// relative to the layer's group: `variables` those that hold the layer's weights, in the
    /// order of its weights, each holding an equal share; `empty` those of its other objects
    /// (the layer itself when its variables belong to a cell or a wrapped layer, and the
    /// Bidirectional's template layer, which only tf_keras visits).
    static func objects(of className: String) -> (variables: [String], empty: [String]) {
        switch className {
        case "SimpleRNN", "LSTM", "GRU":
            return (["cell/vars"], ["vars"])
        case "Bidirectional":
            return (["forward_layer/cell/vars", "backward_layer/cell/vars"],
                    ["vars", "forward_layer/vars", "backward_layer/vars", "layer/vars", "layer/cell/vars"])
        case "TimeDistributed":
            return (["layer/vars"], ["vars"])
        default:
            return (["vars"], [])
        }
    }
}
