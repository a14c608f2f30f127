/* livecart.media._fastsend: the relay's per-viewer, per-packet work in C — RTP headers, SRTP (RFC 3711,
 * RFC 7714) with OpenSSL's libcrypto, and one sendmmsg (with UDP GSO) per frame per viewer.
 *
 * livecart/media/native_writer.py is its only user; livecart/media/rtp_writer.py is the pure-Python path
 * it must match byte for byte (tests/media/test_native_writer.py checks it against pylibsrtp).
 *
 * Srtp    one direction's SRTP keys, derived from the master key and salt the DTLS handshake exported
 *         (the same bytes aiortc gives pylibsrtp), for SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AEAD_AES_128_GCM
 *         and SRTP_AEAD_AES_256_GCM. protect(packet, roc) is there for tests.
 * Writer  one viewer's RTP stream (one SSRC, plus its RTX SSRC): sequence numbers, the header template
 *         (first byte, payload type, mid and abs-send-time extensions), a history of the last packets for
 *         NACKs, and its own descriptor of the viewer's UDP socket.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

/* IANA / libsrtp profile numbers (pylibsrtp's Policy.SRTP_PROFILE_*). */
#define PROFILE_AES128_CM_SHA1_80 1
#define PROFILE_AEAD_AES_128_GCM 7
#define PROFILE_AEAD_AES_256_GCM 8

#define HISTORY_PACKETS 512 /* as rtp_writer.HISTORY_PACKETS */
#define MAX_SEGMENTS 64     /* the kernel's UDP_MAX_SEGMENTS */
#define MAX_GSO_BYTES 60000 /* one GSO buffer stays under the 64 KiB IP datagram limit */
#define MAX_TRAILER 16
#define MAX_EXTENSION 256

static int gso_enabled = 1;

/* ---------------------------------------------------------------------------------------------------- */
/* SRTP                                                                                                  */

typedef struct {
    PyObject_HEAD
    int profile;
    int gcm;
    size_t tag_len;
    unsigned char salt[14]; /* session salt: 14 bytes (AES-CM) or 12 (GCM) */
    EVP_CIPHER_CTX *cipher;
    EVP_MAC_CTX *mac; /* HMAC-SHA1 with the session auth key (AES-CM only) */
} SrtpObject;

/* RFC 3711 section 4.3.1 with key_derivation_rate 0: AES-CM keystream of the master key, started at
 * IV = (master_salt XOR label << 48) << 16. GCM's 12-byte master salt is padded with two zero bytes, as
 * libsrtp does. */
static int derive(const EVP_CIPHER *aes_ctr, const unsigned char *master_key, const unsigned char *master_salt,
                  size_t salt_len, unsigned char label, unsigned char *out, int out_len) {
    unsigned char iv[16] = {0};
    unsigned char zeros[64] = {0};
    int written = 0;
    memcpy(iv, master_salt, salt_len);
    iv[7] ^= label;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) return 0;
    int ok = EVP_EncryptInit_ex(ctx, aes_ctr, NULL, master_key, iv) == 1 &&
             EVP_EncryptUpdate(ctx, out, &written, zeros, out_len) == 1 && written == out_len;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

static int Srtp_init(SrtpObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"profile", "key_and_salt", NULL};
    int profile;
    Py_buffer material;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "iy*", kwlist, &profile, &material)) return -1;
    size_t key_len, salt_len;
    const EVP_CIPHER *kdf_cipher, *cipher;
    switch (profile) {
    case PROFILE_AES128_CM_SHA1_80:
        key_len = 16, salt_len = 14, kdf_cipher = EVP_aes_128_ctr(), cipher = EVP_aes_128_ctr();
        break;
    case PROFILE_AEAD_AES_128_GCM:
        key_len = 16, salt_len = 12, kdf_cipher = EVP_aes_128_ctr(), cipher = EVP_aes_128_gcm();
        break;
    case PROFILE_AEAD_AES_256_GCM:
        key_len = 32, salt_len = 12, kdf_cipher = EVP_aes_256_ctr(), cipher = EVP_aes_256_gcm();
        break;
    default:
        PyBuffer_Release(&material);
        PyErr_Format(PyExc_ValueError, "unsupported SRTP profile %d", profile);
        return -1;
    }
    if ((size_t)material.len != key_len + salt_len) {
        PyErr_Format(PyExc_ValueError, "SRTP profile %d needs %zu bytes of key and salt, not %zd", profile,
                     key_len + salt_len, material.len);
        PyBuffer_Release(&material);
        return -1;
    }
    const unsigned char *master_key = material.buf, *master_salt = (const unsigned char *)material.buf + key_len;
    unsigned char session_key[32], auth_key[20];
    int ok = 1;
    self->profile = profile;
    self->gcm = profile != PROFILE_AES128_CM_SHA1_80;
    self->tag_len = self->gcm ? 16 : 10;
    memset(self->salt, 0, sizeof self->salt);
    ok = ok && derive(kdf_cipher, master_key, master_salt, salt_len, 0x00, session_key, (int)key_len);
    ok = ok && derive(kdf_cipher, master_key, master_salt, salt_len, 0x02, self->salt, (int)salt_len);
    if (!self->gcm) ok = ok && derive(kdf_cipher, master_key, master_salt, salt_len, 0x01, auth_key, 20);
    PyBuffer_Release(&material);
    if (self->cipher == NULL) self->cipher = EVP_CIPHER_CTX_new();
    ok = ok && self->cipher != NULL && EVP_EncryptInit_ex(self->cipher, cipher, NULL, session_key, NULL) == 1;
    if (ok && !self->gcm) {
        EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        if (self->mac == NULL && hmac != NULL) self->mac = EVP_MAC_CTX_new(hmac);
        EVP_MAC_free(hmac);
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA1", 0),
                               OSSL_PARAM_construct_end()};
        ok = self->mac != NULL && EVP_MAC_init(self->mac, auth_key, sizeof auth_key, params) == 1;
    }
    OPENSSL_cleanse(session_key, sizeof session_key);
    OPENSSL_cleanse(auth_key, sizeof auth_key);
    if (!ok) {
        PyErr_SetString(PyExc_RuntimeError, "OpenSSL could not set up the SRTP keys");
        return -1;
    }
    return 0;
}

static void Srtp_dealloc(SrtpObject *self) {
    EVP_CIPHER_CTX_free(self->cipher);
    EVP_MAC_CTX_free(self->mac);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Protect one RTP packet in place: `packet` holds header_len bytes of header and payload_len of payload,
 * with room for the tag after it. Returns the protected length, or 0 when OpenSSL fails. */
static size_t srtp_protect(SrtpObject *srtp, unsigned char *packet, size_t header_len, size_t payload_len,
                           uint32_t roc) {
    uint32_t ssrc = ((uint32_t)packet[8] << 24) | ((uint32_t)packet[9] << 16) | ((uint32_t)packet[10] << 8) |
                    packet[11];
    unsigned char *payload = packet + header_len;
    int written = 0;
    if (srtp->gcm) { /* RFC 7714 section 8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt; AAD = header */
        unsigned char iv[12] = {0, 0,
                                (unsigned char)(ssrc >> 24), (unsigned char)(ssrc >> 16),
                                (unsigned char)(ssrc >> 8), (unsigned char)ssrc,
                                (unsigned char)(roc >> 24), (unsigned char)(roc >> 16),
                                (unsigned char)(roc >> 8), (unsigned char)roc, packet[2], packet[3]};
        for (int i = 0; i < 12; i++) iv[i] ^= srtp->salt[i];
        int final_len = 0;
        if (EVP_EncryptInit_ex(srtp->cipher, NULL, NULL, NULL, iv) != 1 ||
            EVP_EncryptUpdate(srtp->cipher, NULL, &written, packet, (int)header_len) != 1 ||
            EVP_EncryptUpdate(srtp->cipher, payload, &written, payload, (int)payload_len) != 1 ||
            EVP_EncryptFinal_ex(srtp->cipher, payload + written, &final_len) != 1 ||
            EVP_CIPHER_CTX_ctrl(srtp->cipher, EVP_CTRL_GCM_GET_TAG, 16, payload + payload_len) != 1)
            return 0;
        return header_len + payload_len + 16;
    }
    /* RFC 3711 section 4.1.1: IV = (salt << 16) XOR (SSRC << 64) XOR (index << 16), index = ROC << 16 | SEQ */
    unsigned char iv[16];
    memcpy(iv, srtp->salt, 14);
    iv[14] = iv[15] = 0;
    iv[4] ^= ssrc >> 24, iv[5] ^= ssrc >> 16, iv[6] ^= ssrc >> 8, iv[7] ^= ssrc;
    iv[8] ^= roc >> 24, iv[9] ^= roc >> 16, iv[10] ^= roc >> 8, iv[11] ^= roc;
    iv[12] ^= packet[2], iv[13] ^= packet[3];
    if (EVP_EncryptInit_ex(srtp->cipher, NULL, NULL, NULL, iv) != 1 ||
        EVP_EncryptUpdate(srtp->cipher, payload, &written, payload, (int)payload_len) != 1)
        return 0;
    /* RFC 3711 section 4.2: HMAC-SHA1 over the packet and the ROC, the first 80 bits appended. */
    unsigned char roc_bytes[4] = {(unsigned char)(roc >> 24), (unsigned char)(roc >> 16), (unsigned char)(roc >> 8),
                                  (unsigned char)roc};
    unsigned char digest[20];
    size_t digest_len = 0;
    if (EVP_MAC_init(srtp->mac, NULL, 0, NULL) != 1 ||
        EVP_MAC_update(srtp->mac, packet, header_len + payload_len) != 1 ||
        EVP_MAC_update(srtp->mac, roc_bytes, 4) != 1 ||
        EVP_MAC_final(srtp->mac, digest, &digest_len, sizeof digest) != 1)
        return 0;
    memcpy(payload + payload_len, digest, 10);
    return header_len + payload_len + 10;
}

static size_t rtp_header_length(const unsigned char *packet, size_t length) {
    if (length < 12) return 0;
    size_t header = 12 + 4 * (size_t)(packet[0] & 0x0F);
    if (packet[0] & 0x10) {
        if (length < header + 4) return 0;
        header += 4 + 4 * (((size_t)packet[header + 2] << 8) | packet[header + 3]);
    }
    return header <= length ? header : 0;
}

static PyObject *Srtp_protect(SrtpObject *self, PyObject *args) {
    Py_buffer packet;
    unsigned long roc = 0;
    if (!PyArg_ParseTuple(args, "y*|k", &packet, &roc)) return NULL;
    size_t header_len = rtp_header_length(packet.buf, (size_t)packet.len);
    if (header_len == 0) {
        PyBuffer_Release(&packet);
        PyErr_SetString(PyExc_ValueError, "not an RTP packet");
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, packet.len + (Py_ssize_t)self->tag_len);
    if (out == NULL) {
        PyBuffer_Release(&packet);
        return NULL;
    }
    unsigned char *buffer = (unsigned char *)PyBytes_AS_STRING(out);
    memcpy(buffer, packet.buf, packet.len);
    size_t length = srtp_protect(self, buffer, header_len, (size_t)packet.len - header_len, (uint32_t)roc);
    PyBuffer_Release(&packet);
    if (length == 0) {
        Py_DECREF(out);
        PyErr_SetString(PyExc_RuntimeError, "OpenSSL failed to protect the packet");
        return NULL;
    }
    return out;
}

static PyMethodDef Srtp_methods[] = {
    {"protect", (PyCFunction)Srtp_protect, METH_VARARGS,
     "protect(packet, roc=0) -> bytes: one RTP packet, SRTP-protected with the given rollover counter."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject SrtpType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "livecart.media._fastsend.Srtp",
    .tp_basicsize = sizeof(SrtpObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Srtp(profile, key_and_salt): the SRTP session keys of one direction.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Srtp_init,
    .tp_dealloc = (destructor)Srtp_dealloc,
    .tp_methods = Srtp_methods,
};

/* ---------------------------------------------------------------------------------------------------- */
/* Writer                                                                                                */

typedef struct {
    PyObject *payload; /* a reference to the show's shared payload, or NULL */
    uint32_t timestamp;
    uint16_t sequence;
    uint8_t marker;
} HistoryEntry;

typedef struct { /* the sender's rollover counter for one SSRC (RFC 3711 section 3.3.1) */
    uint32_t roc;
    uint16_t last;
    int started;
} Rollover;

typedef struct {
    PyObject_HEAD
    SrtpObject *srtp;
    uint32_t ssrc, rtx_ssrc;
    uint8_t first_byte, payload_type;
    unsigned char extension[MAX_EXTENSION];
    size_t extension_len;
    Py_ssize_t abs_send_time_at; /* offset in extension, or -1 */
    uint16_t sequence;
    uint32_t timestamp_origin;
    Rollover media, rtx;
    HistoryEntry history[HISTORY_PACKETS];
    int fd;
    struct sockaddr_storage address;
    socklen_t address_len;
    unsigned char *buffer;
    size_t buffer_size;
    unsigned long long packets_sent;
} WriterObject;

static uint32_t rollover_for(Rollover *state, uint16_t sequence) {
    if (!state->started) {
        state->started = 1;
        state->last = sequence;
        return state->roc;
    }
    int32_t delta = (int32_t)sequence - (int32_t)state->last;
    if (delta > 0 && delta < 0x8000) { /* forward, maybe not by much */
        state->last = sequence;
        return state->roc;
    }
    if (delta < -0x8000) { /* wrapped forward: 65535 -> 0 */
        state->roc += 1;
        state->last = sequence;
        return state->roc;
    }
    if (delta > 0x8000 && state->roc > 0) return state->roc - 1; /* an old packet from before the last wrap */
    return state->roc;                          /* a repeat or a recent old packet */
}

static int Writer_init(WriterObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"srtp", "ssrc", "payload_type", "first_byte", "extension", "abs_send_time_at",
                             "sequence", "timestamp_origin", "rtx_ssrc", NULL};
    PyObject *srtp;
    unsigned long ssrc, timestamp_origin, rtx_ssrc = 0;
    int payload_type, first_byte, sequence;
    Py_ssize_t abs_send_time_at;
    Py_buffer extension;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!kiiy*nik|k", kwlist, &SrtpType, &srtp, &ssrc, &payload_type,
                                     &first_byte, &extension, &abs_send_time_at, &sequence, &timestamp_origin,
                                     &rtx_ssrc))
        return -1;
    if (extension.len > MAX_EXTENSION || extension.len % 4 != 0 ||
        (abs_send_time_at >= 0 && abs_send_time_at + 3 > extension.len)) {
        PyBuffer_Release(&extension);
        PyErr_SetString(PyExc_ValueError, "the header extension block is not usable");
        return -1;
    }
    Py_INCREF(srtp);
    Py_XSETREF(self->srtp, (SrtpObject *)srtp);
    self->ssrc = (uint32_t)ssrc;
    self->rtx_ssrc = (uint32_t)rtx_ssrc;
    self->payload_type = (uint8_t)(payload_type & 0x7F);
    self->first_byte = (uint8_t)first_byte;
    memcpy(self->extension, extension.buf, extension.len);
    self->extension_len = (size_t)extension.len;
    self->abs_send_time_at = abs_send_time_at;
    self->sequence = (uint16_t)sequence;
    self->timestamp_origin = (uint32_t)timestamp_origin;
    self->fd = -1;
    PyBuffer_Release(&extension);
    return 0;
}

static void writer_close_fd(WriterObject *self) {
    if (self->fd >= 0) {
        close(self->fd);
        self->fd = -1;
    }
}

static void Writer_dealloc(WriterObject *self) {
    writer_close_fd(self);
    for (int i = 0; i < HISTORY_PACKETS; i++) Py_CLEAR(self->history[i].payload);
    Py_CLEAR(self->srtp);
    PyMem_Free(self->buffer);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int writer_reserve(WriterObject *self, size_t size) {
    if (size <= self->buffer_size) return 1;
    size_t grown = size + size / 2;
    unsigned char *buffer = PyMem_Realloc(self->buffer, grown);
    if (buffer == NULL) {
        PyErr_NoMemory();
        return 0;
    }
    self->buffer = buffer;
    self->buffer_size = grown;
    return 1;
}

/* Header (with extensions) of one packet into `out`; returns its length. */
static size_t write_header(WriterObject *self, unsigned char *out, uint8_t payload_type, uint16_t sequence,
                           uint32_t timestamp, uint32_t ssrc, uint32_t abs_send_time) {
    out[0] = self->first_byte;
    out[1] = payload_type;
    out[2] = sequence >> 8, out[3] = sequence & 0xFF;
    out[4] = timestamp >> 24, out[5] = timestamp >> 16, out[6] = timestamp >> 8, out[7] = timestamp;
    out[8] = ssrc >> 24, out[9] = ssrc >> 16, out[10] = ssrc >> 8, out[11] = ssrc;
    memcpy(out + 12, self->extension, self->extension_len);
    if (self->abs_send_time_at >= 0) {
        unsigned char *at = out + 12 + self->abs_send_time_at;
        at[0] = abs_send_time >> 16, at[1] = abs_send_time >> 8, at[2] = abs_send_time;
    }
    return 12 + self->extension_len;
}

/* Every packet of a frame, protected, one after the other in self->buffer; sizes[i] is each length.
 * Returns the number of packets, or -1 with an exception set. */
static Py_ssize_t build_frame(WriterObject *self, PyObject *payloads, uint32_t frame_timestamp,
                              uint32_t abs_send_time, size_t **sizes_out) {
    PyObject *sequence_of = PySequence_Fast(payloads, "payloads must be a sequence of bytes");
    if (sequence_of == NULL) return -1;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(sequence_of);
    PyObject **items = PySequence_Fast_ITEMS(sequence_of);
    size_t header_len = 12 + self->extension_len, total = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        if (!PyBytes_Check(items[i])) {
            Py_DECREF(sequence_of);
            PyErr_SetString(PyExc_TypeError, "payloads must be bytes");
            return -1;
        }
        total += header_len + (size_t)PyBytes_GET_SIZE(items[i]) + MAX_TRAILER;
    }
    size_t *sizes = PyMem_Malloc(sizeof(size_t) * (size_t)(count ? count : 1));
    if (sizes == NULL || !writer_reserve(self, total)) {
        PyMem_Free(sizes);
        Py_DECREF(sequence_of);
        if (!PyErr_Occurred()) PyErr_NoMemory();
        return -1;
    }
    uint32_t timestamp = self->timestamp_origin + frame_timestamp;
    unsigned char *out = self->buffer;
    for (Py_ssize_t i = 0; i < count; i++) {
        uint8_t marker = i == count - 1 ? 0x80 : 0;
        uint16_t sequence = self->sequence;
        HistoryEntry *entry = &self->history[sequence % HISTORY_PACKETS];
        Py_INCREF(items[i]);
        Py_XSETREF(entry->payload, items[i]);
        entry->sequence = sequence, entry->timestamp = timestamp, entry->marker = marker;
        size_t length = write_header(self, out, self->payload_type | marker, sequence, timestamp, self->ssrc,
                                     abs_send_time);
        size_t payload_len = (size_t)PyBytes_GET_SIZE(items[i]);
        memcpy(out + length, PyBytes_AS_STRING(items[i]), payload_len);
        size_t protected_len = srtp_protect(self->srtp, out, length, payload_len,
                                            rollover_for(&self->media, sequence));
        self->sequence = (uint16_t)(sequence + 1);
        if (protected_len == 0) {
            PyMem_Free(sizes);
            Py_DECREF(sequence_of);
            PyErr_SetString(PyExc_RuntimeError, "OpenSSL failed to protect a packet");
            return -1;
        }
        sizes[i] = protected_len;
        out += protected_len;
    }
    Py_DECREF(sequence_of);
    *sizes_out = sizes;
    return count;
}

static int parse_frame_args(PyObject *args, PyObject **payloads, uint32_t *timestamp, uint32_t *abs_send_time) {
    unsigned long ts, ast;
    if (!PyArg_ParseTuple(args, "Okk", payloads, &ts, &ast)) return 0;
    *timestamp = (uint32_t)ts;
    *abs_send_time = (uint32_t)ast & 0xFFFFFF;
    return 1;
}

static PyObject *Writer_build(WriterObject *self, PyObject *args) {
    PyObject *payloads;
    uint32_t timestamp, abs_send_time;
    size_t *sizes;
    if (!parse_frame_args(args, &payloads, &timestamp, &abs_send_time)) return NULL;
    Py_ssize_t count = build_frame(self, payloads, timestamp, abs_send_time, &sizes);
    if (count < 0) return NULL;
    PyObject *list = PyList_New(count);
    const unsigned char *at = self->buffer;
    for (Py_ssize_t i = 0; list != NULL && i < count; i++) {
        PyObject *datagram = PyBytes_FromStringAndSize((const char *)at, (Py_ssize_t)sizes[i]);
        if (datagram == NULL) Py_CLEAR(list);
        else PyList_SET_ITEM(list, i, datagram);
        at += sizes[i];
    }
    PyMem_Free(sizes);
    return list;
}

/* The end of the longest run from `start` that GSO can send in one buffer: equal sizes, the last may be
 * shorter, at most MAX_SEGMENTS and MAX_GSO_BYTES (the rule of udp.py's _batch_end). */
static Py_ssize_t batch_end(const size_t *sizes, Py_ssize_t count, Py_ssize_t start) {
    size_t size = sizes[start];
    Py_ssize_t limit = count;
    if (limit > start + MAX_SEGMENTS) limit = start + MAX_SEGMENTS;
    Py_ssize_t by_bytes = (Py_ssize_t)(MAX_GSO_BYTES / size);
    if (by_bytes < 1) by_bytes = 1;
    if (limit > start + by_bytes) limit = start + by_bytes;
    Py_ssize_t end = start + 1;
    while (end < limit) {
        size_t length = sizes[end];
        if (length > size) break;
        end++;
        if (length < size) break;
    }
    return end;
}

enum { SEND_OK = 0, SEND_CONGESTED = 1, SEND_ERROR = 2 };

/* Send `count` datagrams lying one after the other at `data` in as few sendmmsg calls as the kernel
 * allows (normally one): runs of equal size go as one GSO message each. */
static int send_datagrams(WriterObject *self, const unsigned char *data, const size_t *sizes, Py_ssize_t count) {
    struct mmsghdr messages[MAX_SEGMENTS];
    struct iovec vectors[MAX_SEGMENTS];
    union {
        char buf[CMSG_SPACE(sizeof(uint16_t))];
        struct cmsghdr align;
    } controls[MAX_SEGMENTS];
    Py_ssize_t first_datagram[MAX_SEGMENTS]; /* each message's first datagram */
    Py_ssize_t start = 0;
    const unsigned char *at = data;
    while (start < count) {
        int messages_count = 0;
        while (start < count && messages_count < MAX_SEGMENTS) { /* one sendmmsg's worth */
            Py_ssize_t end = gso_enabled ? batch_end(sizes, count, start) : start + 1;
            size_t bytes = 0;
            for (Py_ssize_t i = start; i < end; i++) bytes += sizes[i];
            struct msghdr *message = &messages[messages_count].msg_hdr;
            memset(message, 0, sizeof *message);
            first_datagram[messages_count] = start;
            vectors[messages_count].iov_base = (void *)at;
            vectors[messages_count].iov_len = bytes;
            message->msg_name = &self->address;
            message->msg_namelen = self->address_len;
            message->msg_iov = &vectors[messages_count];
            message->msg_iovlen = 1;
            if (end - start > 1) {
                message->msg_control = controls[messages_count].buf;
                message->msg_controllen = sizeof controls[messages_count].buf;
                struct cmsghdr *control = CMSG_FIRSTHDR(message);
                control->cmsg_level = SOL_UDP;
                control->cmsg_type = UDP_SEGMENT;
                control->cmsg_len = CMSG_LEN(sizeof(uint16_t));
                uint16_t segment = (uint16_t)sizes[start];
                memcpy(CMSG_DATA(control), &segment, sizeof segment);
            }
            at += bytes;
            start = end;
            messages_count++;
        }
        int sent_messages = 0;
        while (sent_messages < messages_count) {
            int sent = sendmmsg(self->fd, messages + sent_messages, (unsigned int)(messages_count - sent_messages), 0);
            if (sent >= 0) {
                sent_messages += sent;
                continue;
            }
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) return SEND_CONGESTED;
            if (gso_enabled && messages[sent_messages].msg_hdr.msg_controllen != 0 &&
                (errno == EIO || errno == EINVAL || errno == EOPNOTSUPP || errno == ENOPROTOOPT)) {
                /* the kernel or device refuses GSO: from now on every datagram is its own message */
                gso_enabled = 0;
                Py_ssize_t resume = first_datagram[sent_messages];
                return send_datagrams(self, vectors[sent_messages].iov_base, sizes + resume, count - resume);
            }
            return SEND_ERROR;
        }
    }
    return SEND_OK;
}

static PyObject *Writer_send(WriterObject *self, PyObject *args) {
    PyObject *payloads;
    uint32_t timestamp, abs_send_time;
    size_t *sizes;
    if (self->fd < 0) {
        PyErr_SetString(PyExc_RuntimeError, "the writer has no socket (call connect first)");
        return NULL;
    }
    if (!parse_frame_args(args, &payloads, &timestamp, &abs_send_time)) return NULL;
    Py_ssize_t count = build_frame(self, payloads, timestamp, abs_send_time, &sizes);
    if (count < 0) return NULL;
    int result = count ? send_datagrams(self, self->buffer, sizes, count) : SEND_OK;
    int saved_errno = errno;
    PyMem_Free(sizes);
    if (result == SEND_ERROR) {
        errno = saved_errno;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    if (result == SEND_CONGESTED) Py_RETURN_FALSE;
    self->packets_sent += (unsigned long long)count;
    Py_RETURN_TRUE;
}

static PyObject *Writer_retransmit(WriterObject *self, PyObject *args) {
    int sequence, rtx_payload_type, rtx_sequence;
    unsigned long abs_send_time;
    if (!PyArg_ParseTuple(args, "iiik", &sequence, &rtx_payload_type, &rtx_sequence, &abs_send_time)) return NULL;
    HistoryEntry *entry = &self->history[(uint16_t)sequence % HISTORY_PACKETS];
    if (entry->payload == NULL || entry->sequence != (uint16_t)sequence) Py_RETURN_NONE;
    size_t payload_len = (size_t)PyBytes_GET_SIZE(entry->payload);
    size_t header_len = 12 + self->extension_len;
    if (!writer_reserve(self, header_len + 2 + payload_len + MAX_TRAILER)) return NULL;
    unsigned char *out = self->buffer;
    size_t length, protected_len;
    if (rtx_payload_type >= 0) { /* RFC 4588: the RTX stream, the original sequence number first */
        length = write_header(self, out, (uint8_t)((rtx_payload_type & 0x7F) | entry->marker),
                              (uint16_t)rtx_sequence, entry->timestamp, self->rtx_ssrc, (uint32_t)abs_send_time);
        out[length] = entry->sequence >> 8, out[length + 1] = entry->sequence & 0xFF;
        memcpy(out + length + 2, PyBytes_AS_STRING(entry->payload), payload_len);
        protected_len = srtp_protect(self->srtp, out, length, payload_len + 2,
                                     rollover_for(&self->rtx, (uint16_t)rtx_sequence));
    } else {
        length = write_header(self, out, self->payload_type | entry->marker, entry->sequence, entry->timestamp,
                              self->ssrc, (uint32_t)abs_send_time);
        memcpy(out + length, PyBytes_AS_STRING(entry->payload), payload_len);
        protected_len = srtp_protect(self->srtp, out, length, payload_len,
                                     rollover_for(&self->media, entry->sequence));
    }
    if (protected_len == 0) {
        PyErr_SetString(PyExc_RuntimeError, "OpenSSL failed to protect a packet");
        return NULL;
    }
    return PyBytes_FromStringAndSize((const char *)out, (Py_ssize_t)protected_len);
}

static PyObject *Writer_holds(WriterObject *self, PyObject *arg) {
    long sequence = PyLong_AsLong(arg);
    if (sequence == -1 && PyErr_Occurred()) return NULL;
    HistoryEntry *entry = &self->history[(uint16_t)sequence % HISTORY_PACKETS];
    return PyBool_FromLong(entry->payload != NULL && entry->sequence == (uint16_t)sequence);
}

static PyObject *Writer_connect(WriterObject *self, PyObject *args) {
    int fd, port;
    const char *host;
    if (!PyArg_ParseTuple(args, "isi", &fd, &host, &port)) return NULL;
    struct addrinfo hints = {0}, *found = NULL;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    hints.ai_socktype = SOCK_DGRAM;
    char service[8];
    snprintf(service, sizeof service, "%d", port & 0xFFFF);
    int error = getaddrinfo(host, service, &hints, &found);
    if (error != 0 || found == NULL || found->ai_addrlen > sizeof self->address) {
        if (found != NULL) freeaddrinfo(found);
        PyErr_Format(PyExc_ValueError, "not a numeric address: %s", host);
        return NULL;
    }
    memcpy(&self->address, found->ai_addr, found->ai_addrlen);
    self->address_len = found->ai_addrlen;
    freeaddrinfo(found);
    int copy = dup(fd);
    if (copy < 0) return PyErr_SetFromErrno(PyExc_OSError);
    writer_close_fd(self);
    self->fd = copy;
    Py_RETURN_NONE;
}

static PyObject *Writer_close(WriterObject *self, PyObject *Py_UNUSED(ignored)) {
    writer_close_fd(self);
    Py_RETURN_NONE;
}

static PyObject *Writer_get_sequence(WriterObject *self, void *Py_UNUSED(closure)) {
    return PyLong_FromLong(self->sequence);
}

static PyObject *Writer_get_packets_sent(WriterObject *self, void *Py_UNUSED(closure)) {
    return PyLong_FromUnsignedLongLong(self->packets_sent);
}

static PyGetSetDef Writer_getset[] = {
    {"sequence", (getter)Writer_get_sequence, NULL, "the next packet's sequence number", NULL},
    {"packets_sent", (getter)Writer_get_packets_sent, NULL, "packets handed to the kernel by send()", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef Writer_methods[] = {
    {"connect", (PyCFunction)Writer_connect, METH_VARARGS,
     "connect(fd, host, port): send from a duplicate of socket `fd` to host:port."},
    {"send", (PyCFunction)Writer_send, METH_VARARGS,
     "send(payloads, timestamp, abs_send_time) -> bool: write, protect and send one frame's packets; "
     "False when the socket's buffer is full (the frame is lost, its sequence numbers used)."},
    {"build", (PyCFunction)Writer_build, METH_VARARGS,
     "build(payloads, timestamp, abs_send_time) -> list[bytes]: the same packets, returned instead of sent."},
    {"retransmit", (PyCFunction)Writer_retransmit, METH_VARARGS,
     "retransmit(sequence, rtx_payload_type, rtx_sequence, abs_send_time) -> bytes | None: a packet of the "
     "history again, as RTX when rtx_payload_type >= 0; None when it is no longer kept."},
    {"holds", (PyCFunction)Writer_holds, METH_O,
     "holds(sequence) -> bool: whether the history still has that packet (for a NACK)."},
    {"close", (PyCFunction)Writer_close, METH_NOARGS, "close(): release the socket descriptor."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject WriterType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "livecart.media._fastsend.Writer",
    .tp_basicsize = sizeof(WriterObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Writer(srtp, ssrc, payload_type, first_byte, extension, abs_send_time_at, sequence, "
              "timestamp_origin, rtx_ssrc=0): one viewer's RTP stream.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Writer_init,
    .tp_dealloc = (destructor)Writer_dealloc,
    .tp_methods = Writer_methods,
    .tp_getset = Writer_getset,
};

static PyObject *fastsend_gso_enabled(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored)) {
    return PyBool_FromLong(gso_enabled);
}

static PyMethodDef module_methods[] = {
    {"gso_enabled", fastsend_gso_enabled, METH_NOARGS,
     "gso_enabled() -> bool: False once the kernel refused UDP GSO (packets then go one per message)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef fastsend_module = {
    PyModuleDef_HEAD_INIT, "livecart.media._fastsend",
    "The relay's per-viewer RTP, SRTP and sendmmsg in C (see livecart/media/native_writer.py).", -1,
    module_methods,
};

PyMODINIT_FUNC PyInit__fastsend(void) {
    if (PyType_Ready(&SrtpType) < 0 || PyType_Ready(&WriterType) < 0) return NULL;
    PyObject *module = PyModule_Create(&fastsend_module);
    if (module == NULL) return NULL;
    Py_INCREF(&SrtpType);
    Py_INCREF(&WriterType);
    if (PyModule_AddObject(module, "Srtp", (PyObject *)&SrtpType) < 0 ||
        PyModule_AddObject(module, "Writer", (PyObject *)&WriterType) < 0 ||
        PyModule_AddIntConstant(module, "HISTORY_PACKETS", HISTORY_PACKETS) < 0 ||
        PyModule_AddIntConstant(module, "PROFILE_AES128_CM_SHA1_80", PROFILE_AES128_CM_SHA1_80) < 0 ||
        PyModule_AddIntConstant(module, "PROFILE_AEAD_AES_128_GCM", PROFILE_AEAD_AES_128_GCM) < 0 ||
        PyModule_AddIntConstant(module, "PROFILE_AEAD_AES_256_GCM", PROFILE_AEAD_AES_256_GCM) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
