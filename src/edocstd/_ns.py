"""XML namespace URIs used throughout edocstd."""

from __future__ import annotations

EC = "urn:edocstd:data:standard:ElectronicCertificate:1"
DS = "http://www.w3.org/2000/09/xmldsig#"
DSIG11 = "http://www.w3.org/2009/xmldsig11#"
DSIG_MORE = "http://www.w3.org/2001/04/xmldsig-more#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
XADES141 = "http://uri.etsi.org/01903/v1.4.1#"
XPATH_FILTER2 = "http://www.w3.org/2002/06/xmldsig-filter2"

SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties"

EC_ROOT = f"{{{EC}}}ElectronicCertificate"
DS_SIGNATURE = f"{{{DS}}}Signature"

PREFIXES = {"ec": EC, "ds": DS, "xades": XADES, "xades141": XADES141, "dsig11": DSIG11}
