from enum import StrEnum


class JwkUseType2Type1(StrEnum):
    SIG = "sig"

    def __str__(self) -> str:
        return str(self.value)
