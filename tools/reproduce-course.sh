#!/usr/bin/env bash
# Trains the course's two recipes with recur over several seeds and runs the course's
# learning-rate sweep, writing the figures that models/README.md compares with Keras's.
#
#   tools/reproduce-course.sh [SEEDS]      (default 5 seeds; about a minute per seed on 2 cores)
#
# Output: models/recur-course.csv (recipe,seed,val_mae,val_mse,final_loss,seconds_per_epoch)
#         models/e1_lr_sweep.recur.csv (epoch,lr,loss) and the suggested rate on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-5}
./tools/setup.sh
recur=.build/release/recur
out=models/recur-course.csv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

e1='SimpleRNN(40, return_sequences=True), SimpleRNN(40), Dense(1), Scale(100)'
e3='Bidirectional(LSTM(32, return_sequences=True)), Bidirectional(LSTM(32)), Dense(1), Scale(100)'
echo "recipe,seed,val_mae,val_mse,final_loss,seconds_per_epoch" > "$tmp/course.csv"
run() {  # recipe seed arch args...
    local recipe=$1 seed=$2 arch=$3; shift 3
    "$recur" train --arch "$arch" "$@" --seed "$seed" --output "$tmp/$recipe-$seed.h5" > "$tmp/log" </dev/null
    local mae mse loss seconds
    mae=$(awk '/^MAE:/ {print $2}' "$tmp/log")
    mse=$(awk '/^MSE:/ {print $2}' "$tmp/log")
    loss=$(awk '/^Epoch/ {for (i = 1; i <= NF; i++) if ($i == "loss:") l = $(i + 1)} END {print l}' "$tmp/log")
    seconds=$(awk '/^Epoch/ {print $(NF - 1)}' "$tmp/log" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
    echo "$recipe,$seed,$mae,$mse,$loss,$seconds" | tee -a "$tmp/course.csv"
}
for seed in $(seq 1 "$seeds"); do
    run e1 "$seed" "$e1" --loss huber --lr 5e-5 --momentum 0.9 --batch 128 --epochs 400 --shuffle-buffer 1000
    run e3 "$seed" "$e3" --loss mse --lr 1e-6 --momentum 0.9 --batch 32 --epochs 100 --shuffle-buffer 1000
done
mv "$tmp/course.csv" "$out"
"$recur" lr-find --arch "$e1" --loss huber --momentum 0.9 --batch 128 --start 1e-8 --epochs 100 --per-decade 20 --seed 1 \
    > "$tmp/sweep.txt" </dev/null
grep -v '^Suggested' "$tmp/sweep.txt" > models/e1_lr_sweep.recur.csv
grep '^Suggested' "$tmp/sweep.txt"
