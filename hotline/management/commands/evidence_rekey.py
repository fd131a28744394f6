"""Re-wrap every evidence file's key under the current EVIDENCE_KEY (and encrypt files
stored before the vault), with a progress bar; safe to interrupt and run again."""

from django.core.management.base import BaseCommand, CommandError, no_translations
from tqdm import tqdm

from hotline.vault import cipher, rekey


class Command(BaseCommand):
    help = (
        "Rotate the evidence vault's key: set EVIDENCE_KEY to the new key and put the old one "
        "in EVIDENCE_KEY_FALLBACKS, then run this. The site keeps serving meanwhile; an "
        "interrupted run resumes. When it reports nothing left, drop the old key."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="only count the files not under the current key"
        )

    @no_translations
    def handle(self, *args, check=False, **options):
        current_id, _key = cipher.current_key()
        total = rekey.pending_count()
        if check:
            self.stdout.write(f"Files not yet under key {current_id}: {total}.")
            if total:
                raise CommandError("Run evidence_rekey to finish the rotation.")
            return
        with tqdm(
            total=total, unit="file", desc=f"re-keying to {current_id}", file=self.stderr
        ) as bar:
            report = rekey.rekey_all(progress=bar.update)
        self.stdout.write(
            f"Under key {current_id} now: {report.rewrapped} re-wrapped, "
            f"{report.encrypted} encrypted for the first time."
        )
        if report.failed:
            for line in report.failed:
                self.stderr.write(f"Not done: {line}")
            raise CommandError(
                f"{len(report.failed)} files were left as they were; the old keys are still "
                "needed for them (see above)."
            )
        self.stdout.write(
            "Nothing is left under an old key: EVIDENCE_KEY_FALLBACKS can be emptied."
        )
