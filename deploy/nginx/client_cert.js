// RFC 9440 §2: the `Client-Cert` header is the client certificate's DER as a Structured Field
// Byte Sequence (":<base64>:"). nginx has the verified certificate only as PEM
// ($ssl_client_raw_cert), whose body is that base64 split into lines: join it.
function header(r) {
    if (r.variables.ssl_client_verify !== 'SUCCESS') {
        return '';  // no certificate, or one the client CA did not sign: send no header at all
    }
    var pem = r.variables.ssl_client_raw_cert || '';
    var body = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
    return body ? ':' + body + ':' : '';
}

export default {header};
