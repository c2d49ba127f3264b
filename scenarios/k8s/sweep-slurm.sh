#!/usr/bin/env bash
# Run an eksim sweep as a Slurm job array: one shard per array task on a shared filesystem.
# Submit with `sbatch scenarios/k8s/sweep-slurm.sh`; afterwards `eksim merge results/study`
# (or read the tables the last shard wrote: every shard tabulates all complete runs).
#SBATCH --job-name=eksim-sweep
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
set -euo pipefail
eksim sweep scenarios/ec2-vs-fargate.sweep.yaml \
  --shard "${SLURM_ARRAY_TASK_ID}/${SLURM_ARRAY_TASK_COUNT:-8}" --resume --jobs "${SLURM_CPUS_PER_TASK:-2}" \
  --out results/study
