from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.jwk_alg_type_1 import JwkAlgType1
from ..models.jwk_alg_type_2_type_1 import JwkAlgType2Type1
from ..models.jwk_alg_type_3_type_1 import JwkAlgType3Type1
from ..models.jwk_use_type_1 import JwkUseType1
from ..models.jwk_use_type_2_type_1 import JwkUseType2Type1
from ..models.jwk_use_type_3_type_1 import JwkUseType3Type1
from ..types import UNSET, Unset

T = TypeVar("T", bound="Jwk")


@_attrs_define
class Jwk:
    """
    Attributes:
        crv (Literal['Ed25519']):
        kid (str): Matches the `kid` in an access token's header.
        kty (Literal['OKP']):
        x (str): The public key, base64url.
        alg (JwkAlgType1 | JwkAlgType2Type1 | JwkAlgType3Type1 | None | Unset):
        use (JwkUseType1 | JwkUseType2Type1 | JwkUseType3Type1 | None | Unset):
    """

    crv: Literal["Ed25519"]
    kid: str
    kty: Literal["OKP"]
    x: str
    alg: JwkAlgType1 | JwkAlgType2Type1 | JwkAlgType3Type1 | None | Unset = UNSET
    use: JwkUseType1 | JwkUseType2Type1 | JwkUseType3Type1 | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        crv = self.crv

        kid = self.kid

        kty = self.kty

        x = self.x

        alg: None | str | Unset
        if isinstance(self.alg, Unset):
            alg = UNSET
        elif isinstance(self.alg, JwkAlgType1):
            alg = self.alg.value
        elif isinstance(self.alg, JwkAlgType2Type1):
            alg = self.alg.value
        elif isinstance(self.alg, JwkAlgType3Type1):
            alg = self.alg.value
        else:
            alg = self.alg

        use: None | str | Unset
        if isinstance(self.use, Unset):
            use = UNSET
        elif isinstance(self.use, JwkUseType1):
            use = self.use.value
        elif isinstance(self.use, JwkUseType2Type1):
            use = self.use.value
        elif isinstance(self.use, JwkUseType3Type1):
            use = self.use.value
        else:
            use = self.use

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "crv": crv,
                "kid": kid,
                "kty": kty,
                "x": x,
            }
        )
        if alg is not UNSET:
            field_dict["alg"] = alg
        if use is not UNSET:
            field_dict["use"] = use

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        crv = cast(Literal["Ed25519"], d.pop("crv"))
        if crv != "Ed25519":
            raise ValueError(f"crv must match const 'Ed25519', got '{crv}'")

        kid = d.pop("kid")

        kty = cast(Literal["OKP"], d.pop("kty"))
        if kty != "OKP":
            raise ValueError(f"kty must match const 'OKP', got '{kty}'")

        x = d.pop("x")

        def _parse_alg(data: object) -> JwkAlgType1 | JwkAlgType2Type1 | JwkAlgType3Type1 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                alg_type_1 = JwkAlgType1(data)

                return alg_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, str):
                    raise TypeError()
                alg_type_2_type_1 = JwkAlgType2Type1(data)

                return alg_type_2_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, str):
                    raise TypeError()
                alg_type_3_type_1 = JwkAlgType3Type1(data)

                return alg_type_3_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JwkAlgType1 | JwkAlgType2Type1 | JwkAlgType3Type1 | None | Unset, data)

        alg = _parse_alg(d.pop("alg", UNSET))

        def _parse_use(data: object) -> JwkUseType1 | JwkUseType2Type1 | JwkUseType3Type1 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                use_type_1 = JwkUseType1(data)

                return use_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, str):
                    raise TypeError()
                use_type_2_type_1 = JwkUseType2Type1(data)

                return use_type_2_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, str):
                    raise TypeError()
                use_type_3_type_1 = JwkUseType3Type1(data)

                return use_type_3_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JwkUseType1 | JwkUseType2Type1 | JwkUseType3Type1 | None | Unset, data)

        use = _parse_use(d.pop("use", UNSET))

        jwk = cls(
            crv=crv,
            kid=kid,
            kty=kty,
            x=x,
            alg=alg,
            use=use,
        )

        jwk.additional_properties = d
        return jwk

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
