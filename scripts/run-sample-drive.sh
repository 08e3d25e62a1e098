#!/usr/bin/env bash
# The main job of `make run`: one whole sample drive, roster to hub, on this machine.
#
#   workspace (laptop) -> sample Balangan drive -> rosters + registry extract -> problems, eligible
#   -> visit plan + exports -> office hub (embedded, 127.0.0.1) + laptop enrolment
#   -> operators -> SBI simulator + face video -> scripted recording session at one school
#   -> supervisor approval -> sync to the hub -> receipts and status -> cards, complaints, IKM
#   -> KTPku Datang delivery visits -> reports
#
# Everything is synthetic. Background services are stopped on exit, whatever happens.
set -euo pipefail

BIN=${BIN:-.venv/bin}
WS=${WS:-$PWD/.sweet17-run}
HUB=${HUB:-$PWD/.sweet17-hub}
HUB_PORT=${HUB_PORT:-8717}
SEED=${SEED:-17}
START=${START:-2027-01-11}
DRIVE=${DRIVE:-drives/balangan-2027}
SCHOOL=${SCHOOL:-sman1-paringin}
export SWEET17_OPERATOR_PASSWORD=${SWEET17_OPERATOR_PASSWORD:-latihan-operator-1}
export SWEET17_SUPERVISOR_PASSWORD=${SWEET17_SUPERVISOR_PASSWORD:-latihan-supervisor-1}
export COLUMNS=${COLUMNS:-150}   # wide tables when the output is not a terminal (CI, logs)

s17() { "$BIN/sweet17" --workspace "$WS" "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

rm -rf "$WS" "$HUB"

step "1. Ruang kerja laptop dan kegiatan contoh Balangan"
s17 init
s17 sample balangan --seed "$SEED" --start "$START" --out "$DRIVE"

step "2. Daftar siswa, data SIAK, masalah data, wajib rekam"
s17 roster import "$DRIVE/rosters"
s17 registry-extract import
s17 roster problems --export
s17 eligible --as-of "$START" --within-days 30 --export

step "3. Jadwal kunjungan"
s17 drive plan
s17 drive show
s17 drive export --xlsx --ics --pdf

step "4. Hub kantor (tertanam) dan pendaftaran laptop"
"$BIN/sweet17" hub init --data "$HUB" --name "Dukcapil Balangan (contoh)"
"$BIN/sweet17" hub serve --data "$HUB" --port "$HUB_PORT" > "$HUB/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  "$BIN/python" -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1', $HUB_PORT)))" && break
  sleep 0.1
done
s17 sync enrol --hub "http://127.0.0.1:$HUB_PORT" --name laptop-contoh
LAPTOP_ID=$(s17 keys show --json | "$BIN/python" -c "import json,sys; print(json.load(sys.stdin)['laptop_id'])")
"$BIN/sweet17" hub laptops approve "$LAPTOP_ID" --data "$HUB"

step "5. Operator dan supervisor"
s17 operator add sup1 --role supervisor --name "Supervisor Latihan" --password-env SWEET17_SUPERVISOR_PASSWORD
s17 operator add op1 --name "Operator Latihan" --password-env SWEET17_OPERATOR_PASSWORD \
    --by sup1 --by-password-env SWEET17_SUPERVISOR_PASSWORD

step "6. Sesi perekaman di $SCHOOL (simulator SBI + video wajah)"
s17 session rehearsal --school "$SCHOOL" --date "$START" --out "$WS/rehearsal"
"$BIN/sweet17" devices simulate --profile devices/sim-kit.toml > "$WS/sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  "$BIN/sweet17" devices list --profile "$WS/rehearsal/kit.toml" >/dev/null 2>&1 && break
  sleep 0.2
done
s17 session start --school "$SCHOOL" --date "$START" --kit "$WS/rehearsal/kit.toml" --script "$WS/rehearsal/script.toml"
s17 session summary --date "$START" --export
s17 audit verify

step "7. Persetujuan supervisor, kirim ke hub, tanda terima"
s17 queue approve --all --supervisor sup1
s17 sync
s17 queue

step "8. KTPku Datang: kartu tercetak, pengaduan, survei IKM, laporan"
s17 sample ktpku-datang --seed "$SEED"
s17 drive plan --purpose delivery
s17 drive export --purpose delivery --xlsx --ics --pdf
s17 report drive --pdf
s17 report coverage --export
