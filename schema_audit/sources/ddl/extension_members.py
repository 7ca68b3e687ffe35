"""What a contrib extension creates that a schema's columns, defaults, indexes and triggers can
use, so ``DROP EXTENSION … CASCADE`` drops exactly what PostgreSQL drops with it.

Read from the catalog (``pg_depend`` members of each extension as PostgreSQL 15 creates it):
its types (a column of one is dropped), the functions an expression or a trigger can call
(support functions taking or returning ``internal`` cannot be called, and a name pg_catalog
also has, such as citext's ``replace``, resolves to pg_catalog's for ordinary arguments, so
neither is listed), and its operator classes (an index using one is dropped).
``tests/test_leftovers_fidelity.py`` compares this table with the catalog of the test server.
An extension not listed here leaves what its CASCADE drops unknown (listed as such).
"""

from __future__ import annotations

from typing import NamedTuple


class Members(NamedTuple):
    """One extension's members: type names, callable function names, operator classes."""

    types: frozenset[str]
    functions: frozenset[str]
    opclasses: frozenset[str]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


MEMBERS: dict[str, Members] = {
    "citext": Members(
        _words("citext"),
        _words(
            "citext citext_cmp citext_eq citext_ge citext_gt citext_hash citext_hash_extended "
            "citext_larger citext_le citext_lt citext_ne citext_pattern_cmp citext_pattern_ge "
            "citext_pattern_gt citext_pattern_le citext_pattern_lt citext_smaller citextin "
            "citextout citextsend "
        ),
        _words("citext_ops citext_pattern_ops"),
    ),
    "hstore": Members(
        _words("ghstore hstore"),
        _words(
            "akeys avals defined delete each exist exists_all exists_any fetchval ghstore_in "
            "ghstore_out hs_concat hs_contained hs_contains hstore hstore_cmp hstore_eq "
            "hstore_ge hstore_gt hstore_hash hstore_hash_extended hstore_in hstore_le hstore_lt "
            "hstore_ne hstore_out hstore_send hstore_to_array hstore_to_json "
            "hstore_to_json_loose hstore_to_jsonb hstore_to_jsonb_loose hstore_to_matrix "
            "hstore_version_diag isdefined isexists populate_record skeys slice slice_array "
            "svals tconvert "
        ),
        _words("btree_hstore_ops gin_hstore_ops gist_hstore_ops hash_hstore_ops"),
    ),
    "ltree": Members(
        _words("lquery ltree ltree_gist ltxtquery"),
        _words(
            "_lt_q_regex _lt_q_rregex _ltq_extract_regex _ltq_regex _ltq_rregex "
            "_ltree_extract_isparent _ltree_extract_risparent _ltree_isparent _ltree_r_isparent "
            "_ltree_r_risparent _ltree_risparent _ltxtq_exec _ltxtq_extract_exec _ltxtq_rexec "
            "index lca lquery_in lquery_out lquery_send lt_q_regex lt_q_rregex ltq_regex "
            "ltq_rregex ltree2text ltree_addltree ltree_addtext ltree_cmp ltree_eq ltree_ge "
            "ltree_gist_in ltree_gist_out ltree_gt ltree_in ltree_isparent ltree_le ltree_lt "
            "ltree_ne ltree_out ltree_risparent ltree_send ltree_textadd ltxtq_exec ltxtq_in "
            "ltxtq_out ltxtq_rexec ltxtq_send nlevel subltree subpath text2ltree "
        ),
        _words("gist__ltree_ops gist_ltree_ops ltree_ops"),
    ),
    "cube": Members(
        _words("cube"),
        _words(
            "cube cube_cmp cube_contained cube_contains cube_coord cube_coord_llur cube_dim "
            "cube_distance cube_enlarge cube_eq cube_ge cube_gt cube_in cube_inter cube_is_point "
            "cube_le cube_ll_coord cube_lt cube_ne cube_out cube_overlap cube_send cube_size "
            "cube_subset cube_union cube_ur_coord distance_chebyshev distance_taxicab "
        ),
        _words("cube_ops gist_cube_ops"),
    ),
    "uuid-ossp": Members(
        frozenset(),
        _words(
            "uuid_generate_v1 uuid_generate_v1mc uuid_generate_v3 uuid_generate_v4 "
            "uuid_generate_v5 uuid_nil uuid_ns_dns uuid_ns_oid uuid_ns_url uuid_ns_x500 "
        ),
        frozenset(),
    ),
    "pgcrypto": Members(
        frozenset(),
        _words(
            "armor crypt dearmor decrypt decrypt_iv digest encrypt encrypt_iv gen_random_bytes "
            "gen_salt hmac pgp_armor_headers pgp_key_id pgp_pub_decrypt pgp_pub_decrypt_bytea "
            "pgp_pub_encrypt pgp_pub_encrypt_bytea pgp_sym_decrypt pgp_sym_decrypt_bytea "
            "pgp_sym_encrypt pgp_sym_encrypt_bytea "
        ),
        frozenset(),
    ),
    "pg_trgm": Members(
        _words("gtrgm"),
        _words(
            "gtrgm_in gtrgm_out set_limit show_limit show_trgm similarity similarity_dist "
            "similarity_op strict_word_similarity strict_word_similarity_commutator_op "
            "strict_word_similarity_dist_commutator_op strict_word_similarity_dist_op "
            "strict_word_similarity_op word_similarity word_similarity_commutator_op "
            "word_similarity_dist_commutator_op word_similarity_dist_op word_similarity_op "
        ),
        _words("gin_trgm_ops gist_trgm_ops"),
    ),
    "unaccent": Members(
        frozenset(),
        _words("unaccent"),
        frozenset(),
    ),
    "moddatetime": Members(
        frozenset(),
        _words("moddatetime"),
        frozenset(),
    ),
    "fuzzystrmatch": Members(
        frozenset(),
        _words(
            "difference dmetaphone dmetaphone_alt levenshtein levenshtein_less_equal metaphone "
            "soundex text_soundex "
        ),
        frozenset(),
    ),
    "btree_gist": Members(
        _words("gbtreekey16 gbtreekey2 gbtreekey32 gbtreekey4 gbtreekey8 gbtreekey_var"),
        _words(
            "cash_dist date_dist float4_dist float8_dist gbtreekey16_in gbtreekey16_out "
            "gbtreekey2_in gbtreekey2_out gbtreekey32_in gbtreekey32_out gbtreekey4_in "
            "gbtreekey4_out gbtreekey8_in gbtreekey8_out gbtreekey_var_in gbtreekey_var_out "
            "int2_dist int4_dist int8_dist interval_dist oid_dist time_dist ts_dist tstz_dist "
        ),
        _words(
            "gist_bit_ops gist_bool_ops gist_bpchar_ops gist_bytea_ops gist_cash_ops "
            "gist_cidr_ops gist_date_ops gist_enum_ops gist_float4_ops gist_float8_ops "
            "gist_inet_ops gist_int2_ops gist_int4_ops gist_int8_ops gist_interval_ops "
            "gist_macaddr8_ops gist_macaddr_ops gist_numeric_ops gist_oid_ops gist_text_ops "
            "gist_time_ops gist_timestamp_ops gist_timestamptz_ops gist_timetz_ops gist_uuid_ops "
            "gist_vbit_ops "
        ),
    ),
    "btree_gin": Members(
        frozenset(),
        _words("gin_enum_cmp gin_numeric_cmp"),
        _words(
            "bit_ops bool_ops bpchar_ops bytea_ops char_ops cidr_ops date_ops enum_ops "
            "float4_ops float8_ops inet_ops int2_ops int4_ops int8_ops interval_ops macaddr8_ops "
            "macaddr_ops money_ops name_ops numeric_ops oid_ops text_ops time_ops timestamp_ops "
            "timestamptz_ops timetz_ops uuid_ops varbit_ops varchar_ops "
        ),
    ),
    "intarray": Members(
        _words("intbig_gkey query_int"),
        _words(
            "_int_contained _int_contains _int_different _int_inter _int_overlap _int_same "
            "_int_union _intbig_in _intbig_out boolop bqarr_in bqarr_out icount idx "
            "intarray_del_elem intarray_push_array intarray_push_elem intset intset_subtract "
            "intset_union_elem rboolop sort sort_asc sort_desc subarray uniq "
        ),
        _words("gin__int_ops gist__int_ops gist__intbig_ops"),
    ),
}
