# Shared by the benchmarks (bench/run, bench/cluster, bench/soak): signed-in subscribers for
# the load generator, and a server started and waited for.
# Needs scripts/lib.sh (log, die) and DATABASE_URL; the demo password is the seed's.

# bench_sign_in BASE COUNT JOBS WORK: signs in COUNT subscribers spread over the accounts,
# each with a statement, JOBS at a time, through BASE; writes WORK/sessions.tsv (one
# `cookie<TAB>statement id` per line) and dies when fewer than 90% could sign in.
bench_sign_in() {
  local base="$1" count="$2" jobs="$3" work="$4"
  log "signing in $count subscribers spread over the accounts"
  psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -Atqc "with candidates as (
       select a.id, l.email::text as email,
              (select s.id from statements s where s.account_id = a.id order by s.period_start desc limit 1) as statement_id
         from accounts a
         join portal_logins l on l.account_id = a.id and l.is_primary and l.disabled_at is null
        where a.status <> 'closed'),
     numbered as (
       select email, statement_id, row_number() over (order by id) as rn, count(*) over () as n
         from candidates where statement_id is not null)
     select email || E'\t' || statement_id from numbered
      where (rn - 1) % greatest(n / $count, 1) = 0
      order by rn limit $count" >"$work/logins.tsv"
  [ -s "$work/logins.tsv" ] || die "no subscriber with a statement to sign in as"

  local t0 t1 i=0 running=() email statement
  t0=$(date +%s.%N)
  while IFS=$'\t' read -r email statement; do
    i=$((i + 1))
    bench_sign_in_one "$base" "$work" "$email" "$statement" "$i" </dev/null &
    running+=($!)
    # (a plain `wait` would also wait for the server)
    if (( ${#running[@]} >= jobs )); then wait "${running[@]}"; running=(); fi
  done <"$work/logins.tsv"
  if (( ${#running[@]} )); then wait "${running[@]}"; fi
  t1=$(date +%s.%N)
  cat "$work"/session.* >"$work/sessions.tsv" 2>/dev/null || true
  local signed_in failed wanted
  signed_in=$(wc -l <"$work/sessions.tsv")
  failed=$(cat "$work"/failed.* 2>/dev/null | wc -l || true)
  if [ "$failed" -gt 0 ]; then
    log "$failed sign-ins failed, for example:"; cat "$work"/failed.* | head -n 3 >&2
  fi
  wanted=$(wc -l <"$work/logins.tsv")
  (( signed_in * 10 >= wanted * 9 && signed_in > 0 )) || die "only $signed_in of $wanted subscribers could sign in"
  log "$signed_in sessions in $(python3 -c "print(round($t1 - $t0, 1))") s"
}

# bench_sign_in_one BASE WORK EMAIL STATEMENT INDEX: one sign-in; its session cookie and
# statement go to WORK/session.INDEX, or what went wrong to WORK/failed.INDEX.
bench_sign_in_one() {
  local base="$1" work="$2" email="$3" statement="$4" n="$5"
  local jar="$work/jar.$n" code cookie
  code=$(curl -s -o "$work/signin.$n" -w '%{http_code}' --max-time 30 -c "$jar" \
    -H "Origin: $base" -H 'Accept: application/json' \
    --data-urlencode "identifier=$email" --data-urlencode "password=lastmile-demo" "$base/api/sign-in") || code=000
  cookie=$(awk -F'\t' '$6 == "lastmile_session" { print $7 }' "$jar" 2>/dev/null | tail -n 1 || true)
  if [ -n "$cookie" ]; then
    printf '%s\t%s\n' "$cookie" "$statement" >"$work/session.$n"
  else
    printf '%s: HTTP %s %s\n' "$email" "$code" "$(head -c 200 "$work/signin.$n" 2>/dev/null)" >"$work/failed.$n"
  fi
  rm -f "$jar" "$work/signin.$n"
}

# bench_wait_ready NAME PID URL LOG: waits up to 60 s for URL/readyz, dying with the last log
# lines when the server (PID) stops or is not ready in time.
bench_wait_ready() {
  local name="$1" pid="$2" url="$3" logfile="$4"
  for _ in $(seq 1 120); do
    curl -sf -o /dev/null --max-time 2 "$url/readyz" && return 0
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$logfile" >&2; die "$name stopped while starting"; }
    sleep 0.5
  done
  tail -n 20 "$logfile" >&2
  die "$name is not ready after 60 s"
}

# bench_staff_sign_in BASE EMAIL WORK: signs one of the demo's staff in (the password, then
# the code of the demo's published authenticator secret, `seed::DEMO_TOTP_SECRET`) and
# prints the session cookie; dies when either step is refused.
bench_staff_sign_in() {
  local base="$1" email="$2" work="$3" jar code cookie
  jar="$work/staff-jar"
  rm -f "$jar"
  curl -sf -o /dev/null --max-time 30 -c "$jar" -b "$jar" -H "Origin: $base" -H 'Accept: application/json' \
    --data-urlencode "email=$email" --data-urlencode "password=lastmile-demo" "$base/api/staff-sign-in" ||
    die "$email: the staff password step was refused"
  code=$(python3 -c 'import hmac, hashlib, struct, time
h = hmac.new(b"lastmile-demo-totp!!", struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
o = h[-1] & 15
print("%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF) % 1000000))')
  curl -sf -o /dev/null --max-time 30 -c "$jar" -b "$jar" -H "Origin: $base" -H 'Accept: application/json' \
    --data-urlencode "code=$code" "$base/api/staff-second-factor" ||
    die "$email: the authenticator code was refused (a code is taken once: wait 30 s and run again)"
  cookie=$(awk -F'\t' '$6 == "lastmile_session" { print $7 }' "$jar" | tail -n 1)
  [ -n "$cookie" ] || die "$email: signed in, but no session cookie came back"
  printf '%s\n' "$cookie"
}

# bench_staff_searches COOKIE COUNT: COUNT lines for the load generator's staff sessions,
# `cookie<TAB><TAB>account id<TAB>search`, over accounts spread through the table; the
# searches take turns: an owner's surname, an account number, an email's local part (as a
# rep types them), percent-encoded.
bench_staff_searches() {
  local cookie="$1" count="$2"
  psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -Atqc "with owners as (
       select a.id, a.account_number, p.last_name, split_part(p.email::text, '@', 1) as local_part,
              row_number() over (order by a.id) as rn, count(*) over () as n
         from accounts a join people p on p.account_id = a.id and p.role = 'owner'
        where p.email is not null)
     select id || E'\t' || case rn % 3 when 0 then last_name when 1 then account_number else local_part end
       from owners where (rn - 1) % greatest(n / $count, 1) = 0 order by rn limit $count" |
    python3 -c 'import sys, urllib.parse
cookie = sys.argv[1]
for line in sys.stdin:
    account, search = line.rstrip("\n").split("\t", 1)
    print(f"{cookie}\t\t{account}\t{urllib.parse.quote(search, safe=str())}")' "$cookie"
}
