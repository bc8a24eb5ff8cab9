#include "itsm/auth/keys.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "itsm/base/status_macros.h"

namespace itsm::auth {
namespace {

// Owners for OpenSSL's C objects.
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bignum = std::unique_ptr<BIGNUM, BnFree>;

constexpr int kMinRsaBits = 2048;
constexpr int kP256CoordinateBytes = 32;

std::string PemOf(EVP_PKEY* key, bool private_key) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  int ok = private_key
               ? PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)
               : PEM_write_bio_PUBKEY(bio.get(), key);
  if (ok != 1) return "";
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<std::string> Base64UrlField(const google::protobuf::Struct& jwk,
                                           const std::string& name, const std::string& where) {
  auto it = jwk.fields().find(name);
  if (it == jwk.fields().end() || !it->second.has_string_value()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".", name, ": required"));
  }
  std::string bytes;
  if (!absl::WebSafeBase64Unescape(it->second.string_value(), &bytes) || bytes.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".", name, ": not base64url"));
  }
  return bytes;
}

std::string StringField(const google::protobuf::Struct& s, const std::string& name) {
  auto it = s.fields().find(name);
  return it != s.fields().end() && it->second.has_string_value() ? it->second.string_value() : "";
}

Bignum BignumOf(const std::string& big_endian) {
  return Bignum(BN_bin2bn(reinterpret_cast<const unsigned char*>(big_endian.data()),
                          static_cast<int>(big_endian.size()), nullptr));
}

absl::StatusOr<Pkey> PublicKeyFromParams(const char* type, OSSL_PARAM_BLD* bld,
                                         const std::string& where) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": not a valid ", type, " public key"));
  }
  return Pkey(key);
}

absl::StatusOr<Pkey> RsaKey(const google::protobuf::Struct& jwk, const std::string& where) {
  ITSM_ASSIGN_OR_RETURN(std::string n, Base64UrlField(jwk, "n", where));
  ITSM_ASSIGN_OR_RETURN(std::string e, Base64UrlField(jwk, "e", where));
  Bignum bn_n = BignumOf(n), bn_e = BignumOf(e);
  if (BN_num_bits(bn_n.get()) < kMinRsaBits) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".n: RSA keys need at least ", kMinRsaBits, " bits"));
  }
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get());
  OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get());
  return PublicKeyFromParams("RSA", bld.get(), where);
}

absl::StatusOr<Pkey> EcKey(const google::protobuf::Struct& jwk, const std::string& where) {
  if (StringField(jwk, "crv") != "P-256") {
    return absl::InvalidArgumentError(absl::StrCat(where, ".crv: only P-256 is accepted"));
  }
  ITSM_ASSIGN_OR_RETURN(std::string x, Base64UrlField(jwk, "x", where));
  ITSM_ASSIGN_OR_RETURN(std::string y, Base64UrlField(jwk, "y", where));
  if (x.size() != kP256CoordinateBytes || y.size() != kP256CoordinateBytes) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": x and y must be 32 bytes"));
  }
  std::string point = absl::StrCat("\x04", x, y);  // uncompressed point
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  return PublicKeyFromParams("EC", bld.get(), where);
}

std::string Base64UrlOfBignum(EVP_PKEY* key, const char* param, int pad_to) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &raw) != 1) return "";
  Bignum bn(raw);
  int len = pad_to > 0 ? pad_to : BN_num_bytes(bn.get());
  std::string bytes(static_cast<size_t>(len), '\0');
  BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()), len);
  return absl::WebSafeBase64Escape(bytes);
}

// RFC 7638: SHA-256 over the key's required members in lexicographic order, no whitespace.
std::string Thumbprint(EVP_PKEY* key, Algorithm alg) {
  std::string canonical =
      alg == Algorithm::kEs256
          ? absl::StrCat(R"({"crv":"P-256","kty":"EC","x":")",
                         Base64UrlOfBignum(key, OSSL_PKEY_PARAM_EC_PUB_X, kP256CoordinateBytes),
                         R"(","y":")",
                         Base64UrlOfBignum(key, OSSL_PKEY_PARAM_EC_PUB_Y, kP256CoordinateBytes),
                         R"("})")
          : absl::StrCat(R"({"e":")", Base64UrlOfBignum(key, OSSL_PKEY_PARAM_RSA_E, 0),
                         R"(","kty":"RSA","n":")", Base64UrlOfBignum(key, OSSL_PKEY_PARAM_RSA_N, 0),
                         R"("})");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(canonical.data(), canonical.size(), digest, &len, EVP_sha256(), nullptr);
  return absl::WebSafeBase64Escape(absl::string_view(reinterpret_cast<const char*>(digest), len));
}

absl::StatusOr<SigningKey> SigningKeyOf(Pkey key, std::string kid) {
  SigningKey out;
  out.kid = std::move(kid);
  if (EVP_PKEY_is_a(key.get(), "EC")) {
    char group[32] = {};
    size_t group_len = 0;
    if (EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                       &group_len) != 1 ||
        std::string(group) != "prime256v1") {
      return absl::InvalidArgumentError("private key: EC keys must be on P-256");
    }
    out.alg = Algorithm::kEs256;
  } else if (EVP_PKEY_is_a(key.get(), "RSA")) {
    if (EVP_PKEY_get_bits(key.get()) < kMinRsaBits) {
      return absl::InvalidArgumentError("private key: RSA keys need at least 2048 bits");
    }
    out.alg = Algorithm::kRs256;
  } else {
    return absl::InvalidArgumentError("private key: only EC P-256 and RSA keys are accepted");
  }
  if (out.kid.empty()) out.kid = Thumbprint(key.get(), out.alg);
  out.private_pem = PemOf(key.get(), /*private_key=*/true);
  out.public_pem = PemOf(key.get(), /*private_key=*/false);
  if (out.private_pem.empty() || out.public_pem.empty()) {
    return absl::InternalError("private key: could not be written as PEM");
  }
  return out;
}

}  // namespace

absl::string_view AlgorithmName(Algorithm alg) {
  return alg == Algorithm::kRs256 ? "RS256" : "ES256";
}

std::optional<Algorithm> AlgorithmFromName(absl::string_view name) {
  if (name == "RS256") return Algorithm::kRs256;
  if (name == "ES256") return Algorithm::kEs256;
  return std::nullopt;
}

const VerificationKey* KeySet::Find(absl::string_view kid) const {
  if (kid.empty()) return keys_.size() == 1 ? &keys_.front() : nullptr;
  for (const auto& key : keys_) {
    if (key.kid == kid) return &key;
  }
  return nullptr;
}

absl::StatusOr<KeySet> ParseJwks(absl::string_view json) {
  google::protobuf::Struct doc;
  if (!google::protobuf::util::JsonStringToMessage(std::string(json), &doc).ok()) {
    return absl::InvalidArgumentError("jwks: not a JSON object");
  }
  auto keys_it = doc.fields().find("keys");
  if (keys_it == doc.fields().end() || !keys_it->second.has_list_value()) {
    return absl::InvalidArgumentError("jwks.keys: required, a list");
  }
  std::vector<VerificationKey> keys;
  // A provider publishes keys of other algorithms or curves beside its RS256/ES256 ones (or an
  // old weak key): those are skipped, never trusted, and the document fails only when none of
  // its signing keys can be used (refusing it whole stopped every rotation of such a provider).
  absl::Status first_unusable;
  const auto& list = keys_it->second.list_value().values();
  for (int i = 0; i < list.size(); ++i) {
    std::string where = absl::StrCat("jwks.keys[", i, "]");
    if (!list[i].has_struct_value()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": not an object"));
    }
    const auto& jwk = list[i].struct_value();
    std::string use = StringField(jwk, "use");
    if (!use.empty() && use != "sig") continue;
    std::string kty = StringField(jwk, "kty");
    VerificationKey key;
    key.kid = StringField(jwk, "kid");
    absl::StatusOr<Pkey> pkey = absl::InvalidArgumentError("");
    if (kty == "RSA") {
      key.alg = Algorithm::kRs256;
      pkey = RsaKey(jwk, where);
    } else if (kty == "EC") {
      key.alg = Algorithm::kEs256;
      pkey = EcKey(jwk, where);
    } else {
      continue;  // oct (shared secrets) and OKP are not accepted
    }
    std::string alg = StringField(jwk, "alg");
    if (!alg.empty() && AlgorithmFromName(alg) != key.alg) {
      pkey = absl::InvalidArgumentError(
          absl::StrCat(where, ".alg: ", alg, " does not fit a key of type ", kty));
    }
    if (!pkey.ok()) {
      if (first_unusable.ok()) first_unusable = pkey.status();
      continue;
    }
    key.public_pem = PemOf(pkey->get(), /*private_key=*/false);
    keys.push_back(std::move(key));
  }
  if (keys.empty() && !first_unusable.ok()) return first_unusable;
  if (keys.size() > 1) {
    for (const auto& key : keys) {
      if (key.kid.empty()) {
        return absl::InvalidArgumentError(
            "jwks.keys: every key needs a kid when there are several");
      }
    }
  }
  return KeySet(std::move(keys));
}

absl::StatusOr<SigningKey> GenerateSigningKey(Algorithm alg, std::string kid) {
  EVP_PKEY* key = alg == Algorithm::kEs256
                      ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                      : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{kMinRsaBits});
  if (key == nullptr) return absl::InternalError("could not generate a key pair");
  return SigningKeyOf(Pkey(key), std::move(kid));
}

absl::StatusOr<SigningKey> SigningKeyFromPem(absl::string_view private_pem, std::string kid) {
  std::unique_ptr<BIO, BioFree> bio(
      BIO_new_mem_buf(private_pem.data(), static_cast<int>(private_pem.size())));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) return absl::InvalidArgumentError("private key: not a PEM private key");
  return SigningKeyOf(Pkey(key), std::move(kid));
}

std::string JwksOf(const std::vector<SigningKey>& keys) {
  google::protobuf::Struct doc;
  auto* list = (*doc.mutable_fields())["keys"].mutable_list_value();
  for (const auto& key : keys) {
    std::unique_ptr<BIO, BioFree> bio(
        BIO_new_mem_buf(key.public_pem.data(), static_cast<int>(key.public_pem.size())));
    Pkey pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    if (pkey == nullptr) continue;
    auto& jwk = *list->add_values()->mutable_struct_value()->mutable_fields();
    jwk["use"].set_string_value("sig");
    jwk["kid"].set_string_value(key.kid);
    jwk["alg"].set_string_value(std::string(AlgorithmName(key.alg)));
    if (key.alg == Algorithm::kEs256) {
      jwk["kty"].set_string_value("EC");
      jwk["crv"].set_string_value("P-256");
      jwk["x"].set_string_value(
          Base64UrlOfBignum(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X, kP256CoordinateBytes));
      jwk["y"].set_string_value(
          Base64UrlOfBignum(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y, kP256CoordinateBytes));
    } else {
      jwk["kty"].set_string_value("RSA");
      jwk["n"].set_string_value(Base64UrlOfBignum(pkey.get(), OSSL_PKEY_PARAM_RSA_N, 0));
      jwk["e"].set_string_value(Base64UrlOfBignum(pkey.get(), OSSL_PKEY_PARAM_RSA_E, 0));
    }
  }
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(doc, &json);
  return json;
}

absl::StatusOr<SigningKey> SigningKeyFromPemFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  std::stringstream pem;
  pem << in.rdbuf();
  return SigningKeyFromPem(pem.str(), "");
}

}  // namespace itsm::auth
