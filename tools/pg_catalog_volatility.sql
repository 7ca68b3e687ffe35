-- names with a non-immutable overload (sql-language ones marked '?': PostgreSQL may inline them)
WITH f AS (
  SELECT proname, oid, provolatile, prolang, pronargdefaults, provariadic, prorettype,
         proargtypes
  FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace AND prokind = 'f'),
n AS (SELECT proname FROM f GROUP BY 1 HAVING bool_or(provolatile <> 'i'))
SELECT concat_ws(E'\t', 'f', f.proname,
   (SELECT coalesce(string_agg(format_type(t, NULL), ',' ORDER BY o), '') FROM unnest(f.proargtypes::oid[]) WITH ORDINALITY AS u(t, o)),
   CASE WHEN f.pronargdefaults > 0 OR f.provariadic <> 0 THEN '*' ELSE '' END,
   format_type(f.prorettype, NULL),
   CASE WHEN f.provolatile <> 'i' AND f.prolang = (SELECT oid FROM pg_language WHERE lanname = 'sql') THEN '?' ELSE f.provolatile::text END)
FROM f JOIN n USING (proname)
UNION ALL
SELECT concat_ws(E'\t', 'o', o.oprname, coalesce(format_type(nullif(o.oprleft, 0), NULL), ''), format_type(o.oprright, NULL), format_type(o.oprresult, NULL), p.provolatile::text)
FROM pg_operator o JOIN pg_proc p ON p.oid = o.oprcode
WHERE o.oprnamespace = 'pg_catalog'::regnamespace
  AND o.oprname IN (SELECT oprname FROM pg_operator o2 JOIN pg_proc p2 ON p2.oid = o2.oprcode WHERE p2.provolatile <> 'i')
UNION ALL
SELECT concat_ws(E'\t', 'c', format_type(c.castsource, NULL), format_type(c.casttarget, NULL),
   CASE c.castmethod WHEN 'f' THEN (SELECT provolatile::text FROM pg_proc WHERE oid = c.castfunc)
        WHEN 'b' THEN 'i' ELSE 'io' END)
FROM pg_cast c
UNION ALL
SELECT concat_ws(E'\t', 'io', format_type(t.oid, NULL), pi.provolatile::text, po.provolatile::text)
FROM pg_type t JOIN pg_proc pi ON pi.oid = t.typinput JOIN pg_proc po ON po.oid = t.typoutput
WHERE t.typnamespace = 'pg_catalog'::regnamespace AND (pi.provolatile <> 'i' OR po.provolatile <> 'i')
ORDER BY 1;
