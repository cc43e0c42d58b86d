#ifndef RECUR_CHDF5_SHIM_H
#define RECUR_CHDF5_SHIM_H

#include <hdf5.h>
#include <stdio.h>

/* HDF5 exposes its predefined types and property lists as macros that expand to
   globals initialised by H5open(); Swift cannot import them, so each is wrapped here. */

static inline hid_t chdf5_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t chdf5_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t chdf5_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t chdf5_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t chdf5_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t chdf5_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t chdf5_c_s1(void) { return H5T_C_S1; }
static inline hid_t chdf5_p_default(void) { return H5P_DEFAULT; }
static inline hid_t chdf5_s_all(void) { return H5S_ALL; }
static inline hid_t chdf5_p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t chdf5_p_file_create(void) { return H5P_FILE_CREATE; }
static inline hid_t chdf5_p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t chdf5_p_group_create(void) { return H5P_GROUP_CREATE; }
static inline hid_t chdf5_p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline unsigned chdf5_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned chdf5_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned chdf5_acc_excl(void) { return H5F_ACC_EXCL; }
static inline size_t chdf5_variable(void) { return H5T_VARIABLE; }
static inline herr_t chdf5_silence_errors(void) { return H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/* What in a file points outside it: HDF5 lets a link name an object in another file, a dataset
   keep its values in other files (external storage), or map them from other datasets, in this
   file or others (a virtual dataset). A model file must hold its own data, so recur refuses
   each of these before reading anything. */
enum {
    CHDF5_SELF_CONTAINED = 0,
    CHDF5_EXTERNAL_LINK = 1,     /* a link to an object in another file */
    CHDF5_USER_DEFINED_LINK = 2, /* a link of a kind a plugin defines */
    CHDF5_EXTERNAL_STORAGE = 3,  /* a dataset whose values are in other files */
    CHDF5_VIRTUAL_DATASET = 4,   /* a dataset mapped from other datasets */
    CHDF5_TOO_MANY_LINKS = 5     /* more links than chdf5_link_limit: not a Keras file */
};

enum { chdf5_link_limit = 100000 };

typedef struct {
    int found;
    unsigned long visited;
    char path[1024];
} chdf5_foreign_search;

/* One link of the walk: its kind, and for a dataset its storage. Stops the walk (returns 1) at
   the first link that points outside the file. */
static herr_t chdf5_visit_link(hid_t group, const char *name, const H5L_info_t *info, void *data) {
    chdf5_foreign_search *search = (chdf5_foreign_search *)data;
    int found = CHDF5_SELF_CONTAINED;
    if (++search->visited > chdf5_link_limit) {
        found = CHDF5_TOO_MANY_LINKS;
    } else if (info->type == H5L_TYPE_EXTERNAL) {
        found = CHDF5_EXTERNAL_LINK;
    } else if (info->type != H5L_TYPE_HARD && info->type != H5L_TYPE_SOFT) {
        found = CHDF5_USER_DEFINED_LINK;
    } else if (info->type == H5L_TYPE_HARD) {
        /* Soft links name objects of this file, which the walk reaches by their hard links. */
        hid_t object = H5Oopen(group, name, H5P_DEFAULT);
        if (object < 0) return -1;
        if (H5Iget_type(object) == H5I_DATASET) {
            hid_t creation = H5Dget_create_plist(object);
            if (creation < 0) { H5Oclose(object); return -1; }
            if (H5Pget_layout(creation) == H5D_VIRTUAL) found = CHDF5_VIRTUAL_DATASET;
            else if (H5Pget_external_count(creation) != 0) found = CHDF5_EXTERNAL_STORAGE;
            H5Pclose(creation);
        }
        H5Oclose(object);
    }
    if (found == CHDF5_SELF_CONTAINED) return 0;
    search->found = found;
    snprintf(search->path, sizeof search->path, "/%s", name);
    return 1;
}

/* Walks every link from the root group of `file` (H5Lvisit: each group once) and returns the
   first CHDF5_ kind that points outside the file, with its path in path[0..<capacity], or
   CHDF5_SELF_CONTAINED; -1 when HDF5 cannot walk the file. */
static inline int chdf5_find_foreign_data(hid_t file, char *path, size_t capacity) {
    chdf5_foreign_search search = {0, 0, {0}};
    if (H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, chdf5_visit_link, &search) < 0 && search.found == 0) return -1;
    snprintf(path, capacity, "%s", search.path);
    return search.found;
}

/* Dynamically loaded filters (HDF5_PLUGIN_PATH) are never needed by a Keras file, and would
   load code named by the file. */
static inline herr_t chdf5_disable_plugins(void) { return H5PLset_loading_state(0); }

#endif
