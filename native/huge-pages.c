// The optional native helper of the wasm kernel's memory: one N-API function,
// adviseHugePages(view), which asks Linux to back the whole pages under a Uint8Array with
// transparent huge pages (madvise MADV_HUGEPAGE). It reads no byte and writes none: the advice
// only changes how pages not yet touched will be mapped.
//
// Why: a run puts 55 MB of images into fresh memory, and on the VMs this is measured on the
// first touch of each 4 KiB page costs ~13 µs; with 2 MiB pages it is one fault per 2 MiB
// (docs/performance.md, "Fresh pages"). JavaScript cannot madvise, and Linux's default THP mode
// on such machines ("madvise") gives huge pages only to memory that asked for them.
//
// Built by scripts/build-native.js into dist/kernels/huge-pages.node where a C compiler and
// node_api.h are at hand; loaded by src/kernels/huge-pages.ts, which goes on without it.
// N-API keeps its ABI across Node versions, so one build serves Node 20 and 24.
#define NAPI_VERSION 8
#include <errno.h>
#include <node_api.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

// adviseHugePages(view: Uint8Array): number — 0 when the kernel took the advice, else its errno
// (EINVAL where THP is compiled out). Only the pages wholly inside the view are advised.
static napi_value advise_huge_pages(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  bool is_typed_array = false;
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;
  void *data = NULL;
  if (argc < 1 || napi_is_typedarray(env, argv[0], &is_typed_array) != napi_ok || !is_typed_array ||
      napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "adviseHugePages: expected a Uint8Array");
    return NULL;
  }
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t start = ((uintptr_t)data + page - 1) & ~(page - 1);
  uintptr_t end = ((uintptr_t)data + length) & ~(page - 1);
  int result = 0;
  if (data != NULL && end > start && madvise((void *)start, end - start, MADV_HUGEPAGE) != 0) result = errno;
  napi_value out;
  if (napi_create_int32(env, result, &out) != napi_ok) return NULL;
  return out;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "adviseHugePages", NAPI_AUTO_LENGTH, advise_huge_pages, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "adviseHugePages", fn) != napi_ok)
    return NULL;
  return exports;
}
