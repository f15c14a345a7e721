/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * decode: shows what an NTS-KE message says and what libntspool's message
 * validators make of it.  Uses only the public API (<ntspool.h>).
 *
 *   decode [--binary] [--numbering iana|draft] [FILE]
 *
 * Input is hex text (whitespace, "0x" prefixes and '#' comments ignored) or,
 * with --binary, raw bytes; from FILE or standard input.  Output: one line
 * per record (number, wire type, name, critical bit, body length, decoded
 * body), then the verdict of each validator with the NTS-KE Error a server
 * would answer.  Secrets are never printed: cookies, the Fixed Key Request's
 * keys, Authentication tokens and unknown record bodies (which may be a
 * token in the other numbering) are shown by length only.
 *
 * Exit status: 0 the input is one well-formed message (whatever the
 * validators say); 1 it is not (a record breaks its rule, is cut off, or
 * End of Message is missing or followed by data); 64 usage; 65 the input is
 * not hex; 66 the file cannot be read.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ntspool.h>

#define MAX_INPUT (1u << 20)

static const char *usage_text =
    "usage: decode [--binary] [--numbering iana|draft] [FILE]\n"
    "  Decodes one NTS-KE message (hex, or raw bytes with --binary) from FILE\n"
    "  or standard input and shows its records and the validators' verdicts.\n";

/* ---- Names --------------------------------------------------------------- */

static const char *protocol_name(uint16_t id) {
  switch (id) {
  case NTSPOOL_PROTO_NTPV4:
    return "NTPv4";
  case NTSPOOL_PROTO_DRAFT_NTPV5:
    return "draft NTPv5";
  }
  return id >= 0x8000 ? "private" : "unassigned";
}

static const char *aead_name(uint16_t id) {
  switch (id) {
  case NTSPOOL_AEAD_AES_SIV_CMAC_256:
    return "AES-SIV-CMAC-256";
  case NTSPOOL_AEAD_AES_SIV_CMAC_384:
    return "AES-SIV-CMAC-384";
  case NTSPOOL_AEAD_AES_SIV_CMAC_512:
    return "AES-SIV-CMAC-512";
  case NTSPOOL_AEAD_AES_128_GCM_SIV:
    return "AES-128-GCM-SIV";
  case NTSPOOL_AEAD_AES_256_GCM_SIV:
    return "AES-256-GCM-SIV";
  }
  return "unknown";
}

static const char *nts_error_name(uint16_t code) {
  switch (code) {
  case NTSPOOL_NTS_UNRECOGNIZED_CRITICAL:
    return "Unrecognized Critical Record";
  case NTSPOOL_NTS_BAD_REQUEST:
    return "Bad Request";
  case NTSPOOL_NTS_INTERNAL_ERROR:
    return "Internal Server Error";
  case NTSPOOL_NTS_NO_SUCH_SERVER:
    return "NoSuchServer (nts-pool private)";
  case NTSPOOL_NTS_COULD_NOT_CONNECT:
    return "CouldNotConnectDownstream (nts-pool private)";
  case NTSPOOL_NTS_COULD_NOT_GET_CAPABILITIES:
    return "CouldNotGetDownstreamCapabilities (nts-pool private)";
  case NTSPOOL_NTS_COULD_NOT_GET_COOKIES:
    return "CouldNotGetDownstreamCookies (nts-pool private)";
  }
  return code >= 0x8000 ? "private or experimental" : "unassigned";
}

/* ---- Input --------------------------------------------------------------- */

static int hexval(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = tolower(c);
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* Turns hex text into bytes in place.  Returns the byte count, or -1 with
 * *bad_at set to the offending offset. */
static long unhex(uint8_t *buf, size_t len, size_t *bad_at) {
  size_t out = 0;
  int high = -1;
  for (size_t i = 0; i < len; i++) {
    int c = buf[i];
    if (c == '#') { /* comment to end of line */
      while (i < len && buf[i] != '\n')
        i++;
      continue;
    }
    if (isspace(c) || c == ':' || c == ',')
      continue;
    if (c == '0' && i + 1 < len && (buf[i + 1] == 'x' || buf[i + 1] == 'X') &&
        high < 0) {
      i++;
      continue;
    }
    int v = hexval(c);
    if (v < 0) {
      *bad_at = i;
      return -1;
    }
    if (high < 0) {
      high = v;
    } else {
      buf[out++] = (uint8_t)(high << 4 | v);
      high = -1;
    }
  }
  if (high >= 0) {
    *bad_at = len;
    return -1;
  }
  return (long)out;
}

static long read_all(FILE *f, uint8_t *buf, size_t cap) {
  size_t len = 0;
  while (len < cap) {
    size_t n = fread(buf + len, 1, cap - len, f);
    if (n == 0)
      break;
    len += n;
  }
  if (ferror(f))
    return -1;
  if (len == cap && fgetc(f) != EOF)
    return -2;
  return (long)len;
}

/* ---- Records ------------------------------------------------------------- */

static void print_u16_list(FILE *out, const char *what, ntspool_u16_list list,
                           const char *(*name)(uint16_t)) {
  size_t n = list.count;
  fprintf(out, "%s", what);
  if (n == 0)
    fprintf(out, " (empty)");
  for (size_t i = 0; i < n; i++) {
    uint16_t v = ntspool_u16_list_get(list, i);
    fprintf(out, "%s %u (%s)", i ? "," : "", v, name(v));
  }
}

static void print_text(FILE *out, ntspool_bytes body) {
  fputc('"', out);
  for (size_t i = 0; i < body.len; i++) {
    int c = body.data[i];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
      fputc(c, out);
    else
      fprintf(out, "\\x%02x", c);
  }
  fputc('"', out);
}

/* A pool record number of the other numbering, to hint at --numbering. */
static const char *other_numbering_name(uint16_t wire,
                                        enum ntspool_numbering n) {
  enum ntspool_numbering other = n == NTSPOOL_NUMBERING_DRAFT
                                     ? NTSPOOL_NUMBERING_IANA
                                     : NTSPOOL_NUMBERING_DRAFT;
  uint16_t t = ntspool_record_type_from_wire(wire, other);
  if (t >= NTSPOOL_REC_KEEP_ALIVE && t <= NTSPOOL_REC_AUTHENTICATION)
    return ntspool_record_name(t);
  return NULL;
}

static const char *plural(size_t n) {
  return n == 1 ? "" : "s";
}

static void print_body(FILE *out, const ntspool_record *r,
                       enum ntspool_numbering n) {
  ntspool_bytes b = r->body;
  ntspool_u16_list l = ntspool_record_u16_list(r);
  switch (r->type) {
  case NTSPOOL_REC_END_OF_MESSAGE:
  case NTSPOOL_REC_KEEP_ALIVE:
  case NTSPOOL_REC_COMPLIANT_128GCM:
    if (b.len)
      fprintf(out, "(body of %zu bytes ignored)", b.len);
    break;
  case NTSPOOL_REC_NEXT_PROTOCOL:
    print_u16_list(out, "protocols:", l, protocol_name);
    break;
  case NTSPOOL_REC_SUPPORTED_PROTOCOLS:
    print_u16_list(out, "supported protocols:", l, protocol_name);
    break;
  case NTSPOOL_REC_AEAD:
    print_u16_list(out, "AEADs:", l, aead_name);
    break;
  case NTSPOOL_REC_ERROR:
  case NTSPOOL_REC_WARNING: {
    uint16_t code = ntspool_u16_list_get(l, 0);
    if (r->type == NTSPOOL_REC_ERROR)
      fprintf(out, "code %u (%s)", code, nts_error_name(code));
    else
      fprintf(out, "code %u (%s)", code,
              code >= 0x8000 ? "private or experimental" : "unassigned");
    break;
  }
  case NTSPOOL_REC_NEW_COOKIE:
    fprintf(out, "cookie of %zu byte%s", b.len, plural(b.len));
    break;
  case NTSPOOL_REC_SERVER:
  case NTSPOOL_REC_SERVER_DENY:
  case NTSPOOL_REC_UUID:
    print_text(out, b);
    break;
  case NTSPOOL_REC_PORT:
    fprintf(out, "port %u", ntspool_u16_list_get(l, 0));
    break;
  case NTSPOOL_REC_SUPPORTED_ALGORITHMS:
    fprintf(out, "supported algorithms:");
    if (b.len == 0)
      fprintf(out, " (empty: request form)");
    for (size_t i = 0; i + 1 < l.count; i += 2) {
      uint16_t id = ntspool_u16_list_get(l, i);
      fprintf(out, "%s %u (%s, %u-byte keys)", i ? "," : "", id, aead_name(id),
              ntspool_u16_list_get(l, i + 1));
    }
    break;
  case NTSPOOL_REC_LIST_SERVER_NAMES:
    if (b.len)
      fprintf(out, "(body of %zu bytes ignored)", b.len);
    break;
  case NTSPOOL_REC_FIXED_KEY:
    fprintf(out, "C2S and S2C keys of %zu bytes each (not shown)", b.len / 2);
    break;
  case NTSPOOL_REC_AUTHENTICATION:
    fprintf(out, "token of %zu byte%s (not shown)", b.len, plural(b.len));
    break;
  default: {
    const char *other = other_numbering_name(r->wire_type, n);
    fprintf(out, "%zu byte%s (not shown)", b.len, plural(b.len));
    if (other)
      fprintf(out, "; in %s numbering this is %s",
              n == NTSPOOL_NUMBERING_DRAFT ? "IANA" : "draft", other);
    break;
  }
  }
}

static void print_type(uint16_t wire) {
  char t[16];
  if (wire >= 0x100)
    snprintf(t, sizeof t, "0x%04x", wire);
  else
    snprintf(t, sizeof t, "%u", wire);
  printf("type %-6s", t);
}

/* Lists every record; returns true if the bytes are exactly one message of
 * well-formed records. */
static bool list_records(const uint8_t *msg, size_t len,
                         enum ntspool_numbering n) {
  size_t off = 0, i = 0;
  bool ok = true, after_end = false;
  printf("records (%s numbering, %zu bytes):\n",
         n == NTSPOOL_NUMBERING_DRAFT ? "draft" : "IANA", len);
  while (off < len) {
    ntspool_record r;
    size_t used = 0;
    int rc = ntspool_record_decode(msg + off, len - off, n, &r, &used);
    if (rc == NTSPOOL_ERR_NEED_MORE) {
      if (len - off < NTSPOOL_RECORD_HEADER_LEN) {
        printf("  %2zu  at %zu: %zu stray bytes, not a record header\n", i, off,
               len - off);
      } else {
        uint16_t w = (uint16_t)(msg[off] << 8 | msg[off + 1]);
        unsigned blen = (unsigned)(msg[off + 2] << 8 | msg[off + 3]);
        printf("  %2zu  ", i);
        print_type(w & 0x7FFF);
        printf(
            " %-29s  truncated: body of %u bytes, %zu present\n",
            ntspool_record_name(ntspool_record_type_from_wire(w & 0x7FFF, n)),
            blen, len - off - NTSPOOL_RECORD_HEADER_LEN);
      }
      ok = false;
      break;
    }
    if (rc == NTSPOOL_ERR_MALFORMED) {
      /* The header is sound; show it and move on past the bad body. */
      uint16_t w = (uint16_t)(msg[off] << 8 | msg[off + 1]);
      size_t blen = (size_t)(msg[off + 2] << 8 | msg[off + 3]);
      printf("  %2zu  ", i);
      print_type(w & 0x7FFF);
      printf(" %-29s  C=%d  len %-4zu  MALFORMED: the body breaks its "
             "type's length or content rule\n",
             ntspool_record_name(ntspool_record_type_from_wire(w & 0x7FFF, n)),
             (w & NTSPOOL_CRITICAL_BIT) != 0, blen);
      ok = false;
      off += NTSPOOL_RECORD_HEADER_LEN + blen;
      i++;
      continue;
    }
    if (rc < 0) {
      printf("  %2zu  at %zu: %s\n", i, off, ntspool_strerror(rc));
      ok = false;
      break;
    }
    printf("  %2zu  ", i);
    print_type(r.wire_type);
    printf(" %-29s  C=%d  len %zu", ntspool_record_name(r.type), r.critical,
           r.body.len);
    /* Bodies go through a memory stream so an empty one leaves no
     * trailing blanks and a huge list is cut short. */
    char text[1024] = "";
    FILE *mem = fmemopen(text, sizeof text, "w");
    if (mem) {
      print_body(mem, &r, n);
      if (after_end)
        fprintf(mem, "  [after End of Message]");
      fclose(mem);
      text[sizeof text - 1] = '\0';
      if (text[0]) {
        int pad = 4 - snprintf(NULL, 0, "%zu", r.body.len);
        printf("%*s  %s%s", pad > 0 ? pad : 0, "", text,
               strlen(text) == sizeof text - 1 ? " ..." : "");
      }
    }
    putchar('\n');
    if (r.type == NTSPOOL_REC_END_OF_MESSAGE) {
      if (after_end)
        ok = false;
      after_end = true;
    } else if (after_end) {
      ok = false;
    }
    off += used;
    i++;
  }
  if (!after_end) {
    printf("  (no End of Message)\n");
    ok = false;
  }
  return ok;
}

/* ---- Verdicts ------------------------------------------------------------ */

static void print_list(const char *what, ntspool_u16_list l,
                       const char *(*name)(uint16_t)) {
  printf("; %s", what);
  if (l.count == 0)
    printf(" none");
  for (size_t i = 0; i < l.count; i++) {
    uint16_t v = ntspool_u16_list_get(l, i);
    printf("%s %u (%s)", i ? "," : "", v, name(v));
  }
}

static void print_request(const ntspool_request *q) {
  static const char *const kinds[] = {"key exchange", "support query",
                                      "Fixed Key Request", "UUID request"};
  printf("valid: %s", kinds[q->kind]);
  if (q->kind == NTSPOOL_REQUEST_SUPPORT) {
    const char *sep = " for ";
    if (q->want & NTSPOOL_WANT_ALGORITHMS) {
      printf("%salgorithms", sep);
      sep = ", ";
    }
    if (q->want & NTSPOOL_WANT_PROTOCOLS) {
      printf("%sprotocols", sep);
      sep = ", ";
    }
    if (q->want & NTSPOOL_WANT_SERVER_NAMES)
      printf("%sserver names", sep);
  } else {
    print_list("protocols", q->protocols, protocol_name);
    print_list("AEADs", q->aeads, aead_name);
  }
  if (q->kind == NTSPOOL_REQUEST_FIXED_KEY)
    printf("; keys of %zu bytes", q->c2s_key.len);
  if (q->kind == NTSPOOL_REQUEST_UUID) {
    printf("; uuid ");
    print_text(stdout, q->uuid);
  }
  if (q->has_token)
    printf("; token of %zu byte%s%s", q->token.len, plural(q->token.len),
           q->kind == NTSPOOL_REQUEST_KE ? " (ignored)" : "");
  if (q->n_denied) {
    printf("; denies");
    for (size_t i = 0; i < q->n_denied && i < NTSPOOL_MAX_DENIED; i++) {
      putchar(' ');
      print_text(stdout, q->denied[i]);
    }
    if (q->n_denied > NTSPOOL_MAX_DENIED)
      printf(" (+%zu not kept)", q->n_denied - NTSPOOL_MAX_DENIED);
  }
  if (q->keep_alive)
    printf("; keep-alive");
  if (q->compliant_128gcm)
    printf("; record 1024");
  putchar('\n');
}

/* What a server does with a request its validator refused. */
static void print_refusal(int rc) {
  printf("refused, %s: %s\n", ntspool_status_name(rc), ntspool_strerror(rc));
  if (rc == NTSPOOL_ERR_NEED_MORE) {
    printf("%34s-> no answer: the server waits for the rest of the message "
           "and drops the connection\n",
           "");
    return;
  }
  /* Oversized and trailing data are framing failures the sessions still
   * answer with Bad Request; everything else maps as the library says. */
  uint16_t code = rc == NTSPOOL_ERR_TRAILING_DATA || rc == NTSPOOL_ERR_TOO_LARGE
                      ? NTSPOOL_NTS_BAD_REQUEST
                      : ntspool_nts_error_for(rc);
  printf("%34s-> the server answers Error %u (%s)\n", "", code,
         nts_error_name(code));
}

static void print_response(int rc, const ntspool_response *r) {
  if (rc == NTSPOOL_ERR_PEER_ERROR) {
    printf("the server reported Error %u (%s)\n", r->error_code,
           nts_error_name(r->error_code));
    return;
  }
  if (rc == NTSPOOL_ERR_PEER_WARNING) {
    printf("the server sent Warning %u: a client gives up\n", r->error_code);
    return;
  }
  if (rc == NTSPOOL_ERR_NO_PROTOCOL) {
    printf("no next protocol in common (a valid answer; the client fails)\n");
    return;
  }
  if (rc == NTSPOOL_ERR_NO_AEAD) {
    printf("protocol %u (%s) but no AEAD in common (a valid answer; the client "
           "fails)\n",
           r->protocol, protocol_name(r->protocol));
    return;
  }
  if (rc < 0) {
    printf("refused, %s: %s\n", ntspool_status_name(rc), ntspool_strerror(rc));
    return;
  }
  printf("valid: protocol %u (%s); AEAD %u (%s); %zu cookie%s", r->protocol,
         protocol_name(r->protocol), r->aead, aead_name(r->aead),
         r->n_cookies_seen, r->n_cookies_seen == 1 ? "" : "s");
  if (r->n_cookies_seen > r->n_cookies)
    printf(" (%zu kept)", r->n_cookies);
  if (r->n_cookies) {
    printf(" of");
    for (size_t i = 0; i < r->n_cookies; i++)
      printf("%s %zu", i ? "," : "", r->cookies[i].len);
    printf(" bytes");
  }
  printf("; NTP server ");
  if (r->server.len)
    print_text(stdout, r->server);
  else
    printf("(the KE host)");
  printf(" port %u", r->has_port ? r->port : 123);
  if (!r->has_port)
    printf(" (default)");
  if (r->keep_alive)
    printf("; keep-alive");
  if (r->compliant_128gcm)
    printf("; record 1024");
  if (r->n_cookies_seen == 0)
    printf("; no cookies: a client cannot use it");
  putchar('\n');
}

static void print_support(int rc, const ntspool_support *s) {
  if (rc == NTSPOOL_ERR_PEER_ERROR) {
    printf("the time source reported Error %u (%s)\n", s->error_code,
           nts_error_name(s->error_code));
    return;
  }
  if (rc < 0) {
    printf("refused, %s: %s\n", ntspool_status_name(rc), ntspool_strerror(rc));
    return;
  }
  printf("valid");
  if (s->has_protocols)
    print_list("protocols", s->protocols, protocol_name);
  if (s->has_algorithms) {
    printf("; algorithms%s", s->algorithms.count ? "" : " none");
    for (size_t i = 0; i + 1 < s->algorithms.count; i += 2) {
      uint16_t id = ntspool_u16_list_get(s->algorithms, i);
      printf("%s %u (%u-byte keys)", i ? "," : "", id,
             ntspool_u16_list_get(s->algorithms, i + 1));
    }
  }
  if (s->keep_alive)
    printf("; keep-alive");
  putchar('\n');
}

static void print_verdicts(const uint8_t *msg, size_t len,
                           enum ntspool_numbering n) {
  ntspool_request q;
  ntspool_response r;
  ntspool_support s;
  int rc;

  printf("verdicts:\n");
  memset(&q, 0, sizeof q);
  rc = ntspool_client_request_parse(msg, len, &q);
  printf("  %-32s", "client request at the pool:");
  if (rc < 0)
    print_refusal(rc);
  else
    print_request(&q);

  memset(&q, 0, sizeof q);
  rc = ntspool_source_request_parse(msg, len, n, 0, &q);
  printf("  %-32s", "request at a time source:");
  if (rc < 0)
    print_refusal(rc);
  else
    print_request(&q);

  /* A pool known by its TLS client certificate needs no token: show that
   * view too when it judges differently. */
  int plain = rc;
  memset(&q, 0, sizeof q);
  rc = ntspool_source_request_parse(msg, len, n,
                                    NTSPOOL_PARSE_CERT_AUTHENTICATED, &q);
  if (rc != plain) {
    printf("  %-32s", "request, pool by certificate:");
    if (rc < 0)
      print_refusal(rc);
    else
      print_request(&q);
  }

  memset(&r, 0, sizeof r);
  rc = ntspool_ke_response_parse(msg, len, n, &r);
  printf("  %-32s", "key-exchange response:");
  print_response(rc, &r);

  memset(&s, 0, sizeof s);
  rc = ntspool_support_response_parse(
      msg, len, n, NTSPOOL_WANT_PROTOCOLS | NTSPOOL_WANT_ALGORITHMS, &s);
  printf("  %-32s", "support response:");
  print_support(rc, &s);
}

int main(int argc, char **argv) {
  bool binary = false;
  enum ntspool_numbering numbering = NTSPOOL_NUMBERING_IANA;
  const char *path = NULL;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--binary") == 0) {
      binary = true;
    } else if (strcmp(a, "--numbering") == 0 && i + 1 < argc) {
      const char *v = argv[++i];
      if (strcmp(v, "draft") == 0)
        numbering = NTSPOOL_NUMBERING_DRAFT;
      else if (strcmp(v, "iana") == 0)
        numbering = NTSPOOL_NUMBERING_IANA;
      else {
        fprintf(stderr, "decode: numbering is iana or draft, not '%s'\n", v);
        return 64;
      }
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage_text, stdout);
      return 0;
    } else if (a[0] == '-' && a[1] != '\0') {
      fputs(usage_text, stderr);
      return 64;
    } else if (!path) {
      path = a;
    } else {
      fputs(usage_text, stderr);
      return 64;
    }
  }

  FILE *f = stdin;
  if (path && strcmp(path, "-") != 0) {
    f = fopen(path, "rb");
    if (!f) {
      fprintf(stderr, "decode: %s: %s\n", path, strerror(errno));
      return 66;
    }
  }
  uint8_t *buf = malloc(MAX_INPUT);
  if (!buf) {
    fprintf(stderr, "decode: out of memory\n");
    return 70;
  }
  long len = read_all(f, buf, MAX_INPUT);
  if (f != stdin)
    fclose(f);
  if (len < 0) {
    fprintf(stderr, "decode: %s\n",
            len == -2 ? "input larger than 1 MiB" : "read error");
    free(buf);
    return 66;
  }
  if (!binary) {
    size_t bad = 0;
    long n = unhex(buf, (size_t)len, &bad);
    if (n < 0) {
      if (bad >= (size_t)len)
        fprintf(stderr, "decode: odd number of hex digits\n");
      else
        fprintf(stderr,
                "decode: not hex at offset %zu ('%c'); use --binary for raw "
                "input\n",
                bad, isprint(buf[bad]) ? buf[bad] : '?');
      free(buf);
      return 65;
    }
    len = n;
  }
  if (len == 0) {
    fprintf(stderr, "decode: empty input\n");
    free(buf);
    return 65;
  }

  bool ok = list_records(buf, (size_t)len, numbering);
  print_verdicts(buf, (size_t)len, numbering);
  free(buf);
  return ok ? 0 : 1;
}
